"""Property: whatever malformed rows an export holds, nothing is lost and nothing is doubled.

Rows are drawn field by field from pools of values known to be valid or known to break a rule
(junk in typed fields, missing required values, values outside the allowed set, unknown foreign
keys, duplicate keys, odd quoting, commas, newlines and unicode, extra fields, broken lines), so
the test knows by construction which records must load: the first valid record of each key.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hand_made_company import PARTNERS, PRODUCTS, TENANTS, snapshot, write_csv, write_parquet
from hypothesis import event, given, settings
from hypothesis import strategies as st

from foundation.warehouse import Warehouse
from ingestion.loader import load_landing
from models import load_contracts

# Odd text: quotes, delimiters, line breaks, tabs, accents, emoji, right-to-left (no surrogates).
ODD_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list(',;"\'\n\r\t \\{}[]')), st.characters(exclude_categories=("Cs",))),
    max_size=12,
)


@dataclass(frozen=True)
class Value:
    """A cell / JSON value and whether the contract accepts it in its field."""

    value: object
    valid: bool


def good(strategy) -> st.SearchStrategy[Value]:
    return strategy.map(lambda v: Value(v, True))


def bad(strategy) -> st.SearchStrategy[Value]:
    return strategy.map(lambda v: Value(v, False))


def one_of_values(valid, invalid) -> st.SearchStrategy[Value]:
    return st.one_of(good(valid), bad(invalid))


@dataclass
class Export:
    content: bytes
    records: list[tuple[dict | None, bool]]  # per record: the values written (None: broken), valid


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tenants T1/T2, partner T1/P1 and products T1/PR1, T2/PR1: the parents the rows refer to."""
    root = tmp_path_factory.mktemp("property-base")
    landing = root / "landing"
    write_csv(landing / "finance" / "tenants.csv", TENANTS)
    write_csv(landing / "partners" / "partners.csv", PARTNERS)
    write_parquet(landing / "billing" / "products.parquet", "products", PRODUCTS)
    warehouse = Warehouse(root / "wh" / "opsintel.duckdb")
    assert all(r.outcome == "loaded" for r in load_landing(warehouse, landing, ["finance", "partners", "billing"]))
    return warehouse.path


# --- price_book_entries as CSV ---------------------------------------------------------------

PRICE_FIELDS = load_contracts()["price_book_entries"].field_names

price_cells = st.fixed_dictionaries({
    "tenant_id": one_of_values(st.sampled_from(["T1", "T2"]), st.sampled_from(["T404", "", "t1", " T1"])),
    "price_id": one_of_values(
        st.one_of(st.sampled_from(["PB1", "PB2", "PB3"]), ODD_TEXT.map(lambda s: "P" + s)),
        st.sampled_from(["", " "]),
    ),
    "product_id": one_of_values(st.just("PR1"), st.sampled_from(["PR404", ""])),
    "currency": one_of_values(st.sampled_from(["USD", "EUR", "GBP"]), st.sampled_from(["usd", "XYZ", "", "US D"])),
    "billing_period": one_of_values(st.sampled_from(["monthly", "annual", "none"]), st.sampled_from(["weekly", "Monthly"])),
    "unit_price": one_of_values(
        st.builds(lambda whole, frac, places: f"{whole}" + (f".{frac:04d}"[: places + 1] if places else ""),
                  st.integers(0, 10**14 - 1), st.integers(0, 9999), st.integers(0, 4)),
        st.one_of(st.sampled_from(["-1.00", "1,200.00", "1e3", "12.12345", "123456789012345.0", "", "NaN"]),
                  ODD_TEXT.map(lambda s: "x" + s)),
    ),
    "valid_from": one_of_values(
        st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10),
        st.one_of(st.sampled_from(["2024/01/31", "31.01.2024", "2024-02-30", "2024-1-5", ""]),
                  ODD_TEXT.map(lambda s: "x" + s)),
    ),
    "valid_to": one_of_values(st.sampled_from(["", "2030-12-31"]), ODD_TEXT.map(lambda s: "x" + s)),
})

# A record of the wrong width: junk cells, fewer or more than the header has.
misshapen_record = st.lists(ODD_TEXT, min_size=1, max_size=len(PRICE_FIELDS) + 2).filter(
    lambda cells: len(cells) != len(PRICE_FIELDS)
)
FIRST_PRICE = {"tenant_id": "T1", "price_id": "PB1", "product_id": "PR1", "currency": "USD",
               "billing_period": "monthly", "unit_price": "1.50", "valid_from": "2024-01-01", "valid_to": "2030-12-31"}


@st.composite
def price_exports(draw) -> Export:
    extra_column = draw(st.booleans())
    header = PRICE_FIELDS + (["legacy_code"] if extra_column else [])
    # The first record is clean, so no column is judged a changed type (all values failing).
    rows: list[dict[str, Value] | list[str]] = [{k: Value(v, True) for k, v in FIRST_PRICE.items()}]
    rows += draw(st.lists(st.one_of(price_cells, price_cells, misshapen_record), max_size=24))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # quotes cells holding \r or \n
    writer.writerow(header)
    records: list[tuple[dict | None, bool]] = []
    for row in rows:
        if isinstance(row, list):
            writer.writerow(row)
            records.append((None, False))
            continue
        cells = {k: v.value for k, v in row.items()}
        extra = [draw(ODD_TEXT)] if extra_column else []
        writer.writerow([cells[f] for f in PRICE_FIELDS] + extra)
        records.append((cells, all(v.valid for v in row.values())))
    return Export(buffer.getvalue().encode(), records)


# --- customers as JSON lines -----------------------------------------------------------------

MISSING = object()  # the key is left out of the object

customer_values = st.fixed_dictionaries({
    "tenant_id": one_of_values(st.sampled_from(["T1", "T2"]), st.sampled_from(["T404", "", None, 7, MISSING])),
    "customer_id": one_of_values(
        st.one_of(st.sampled_from(["C1", "C2", "C3"]), ODD_TEXT.map(lambda s: "C" + s)),
        st.sampled_from(["", None, 123, MISSING, [1]]),
    ),
    "customer_name": one_of_values(ODD_TEXT.map(lambda s: "N" + s), st.sampled_from(["", None, 5, True, MISSING])),
    "segment": one_of_values(st.sampled_from(["smb", "enterprise"]), st.sampled_from(["SMB", "", MISSING])),
    "region": one_of_values(st.sampled_from(["na", "emea"]), st.sampled_from(["mars", None])),
    "industry": one_of_values(ODD_TEXT.map(lambda s: "I" + s), st.sampled_from([None, {"a": 1}])),
    "country_code": one_of_values(st.sampled_from(["US", "DE"]), st.sampled_from(["", 49])),
    "billing_currency": one_of_values(st.sampled_from(["USD", "EUR"]), st.sampled_from(["usd", 1.5])),
    "partner_id": st.sampled_from([None, MISSING, "P1", "P404", 3]).map(lambda v: Value(v, v in (None, MISSING, "P1"))),
    "created_at": one_of_values(
        st.sampled_from(["2023-02-01T09:30:00", "2024-12-31T23:59:59", "2023-02-01"]),
        st.one_of(st.sampled_from(["yesterday", "2023-13-01T00:00:00", 1675243800, ""]),
                  ODD_TEXT.map(lambda s: "x" + s)),
    ),
})
BROKEN_LINES = st.sampled_from(["{not json", "[1, 2]", "null", '"text"', '{"tenant_id": "T1"', "{'a': 1}"])
FIRST_CUSTOMER = {"tenant_id": "T1", "customer_id": "C1", "customer_name": "Blue", "segment": "smb",
                  "region": "na", "industry": "retail", "country_code": "US", "billing_currency": "USD",
                  "partner_id": "P1", "created_at": "2023-02-01T09:30:00"}


@st.composite
def customer_exports(draw) -> Export:
    rows: list[dict[str, Value] | str] = [{k: Value(v, True) for k, v in FIRST_CUSTOMER.items()}]
    rows += draw(st.lists(st.one_of(customer_values, customer_values, BROKEN_LINES), max_size=24))
    lines: list[str] = []
    records: list[tuple[dict | None, bool]] = []
    for row in rows:
        if isinstance(row, str):
            lines.append(row)
            records.append((None, False))
            continue
        obj = {k: v.value for k, v in row.items() if v.value is not MISSING}
        valid = all(v.valid for v in row.values())
        # A partner resolves within the tenant: T1/P1 exists, T2/P1 does not.
        if obj.get("partner_id") == "P1" and obj.get("tenant_id") != "T1":
            valid = False
        if draw(st.booleans()):
            obj[draw(st.sampled_from(["x_note", "legacy id", "ünïcode"]))] = draw(ODD_TEXT)
        lines.append(json.dumps(obj, ensure_ascii=draw(st.booleans())))
        records.append((obj, valid))
    return Export(("\n".join(lines) + "\n").encode(), records)


# --- the property ----------------------------------------------------------------------------

# C0 and C1 control characters and DEL: quarantined in every contract field of these entities
# (a column outside the contract is ignored, whatever it holds).
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


def holds_control_character(values: dict, fields: frozenset[str]) -> bool:
    return any(isinstance(value, str) and CONTROL_CHARACTER.search(value)
               for name, value in values.items() if name in fields)


def expected_loaded(records: list[tuple[dict | None, bool]], key: tuple[str, ...],
                    fields: frozenset[str]) -> set[int]:
    """Record numbers that must load: the first valid record of each primary key (a record
    holding a control character in one of ``fields`` is not valid)."""
    seen: set[tuple] = set()
    loaded: set[int] = set()
    for number, (values, valid) in enumerate(records, start=1):
        if not valid or values is None or holds_control_character(values, fields):
            continue
        if (k := tuple(values[f] for f in key)) not in seen:
            seen.add(k)
            loaded.add(number)
    return loaded


def check_nothing_lost_nothing_doubled(base: Path, relative: str, entity: str, export: Export) -> None:
    contract = load_contracts()[entity]
    source = contract.source
    with tempfile.TemporaryDirectory(prefix="loader-property-") as tmp:
        landing = Path(tmp) / "landing"
        (landing / relative).parent.mkdir(parents=True)
        (landing / relative).write_bytes(export.content)
        warehouse = Warehouse(Path(tmp) / "wh" / "opsintel.duckdb")
        warehouse.path.parent.mkdir()
        shutil.copyfile(base, warehouse.path)

        [result] = load_landing(warehouse, landing, [source])
        assert result.outcome == "loaded", result.message
        [file] = result.tables[entity].files
        n = len(export.records)
        assert file.rows_read == n
        assert file.rows_read == file.rows_loaded + file.rows_quarantined

        with warehouse.reader() as con:
            loaded = con.execute(
                f'select _source_row, {", ".join(contract.primary_key)} from raw."{entity}" where _source_file = ?',
                [relative]).fetchall()
            quarantined = [r for (r,) in con.execute(
                "select row_number from raw.quarantine where file = ?", [relative]).fetchall()]
        loaded_rows = [r[0] for r in loaded]
        assert (len(loaded_rows), len(quarantined)) == (file.rows_loaded, file.rows_quarantined)
        assert len({r[1:] for r in loaded}) == len(loaded)  # every loaded key once
        assert not set(loaded_rows) & set(quarantined)  # no record both loaded and quarantined
        assert sorted(loaded_rows + quarantined) == list(range(1, n + 1))  # and none lost
        assert set(loaded_rows) == expected_loaded(export.records, contract.primary_key,
                                                     frozenset(f.name for f in contract.fields))
        event(f"{entity}: rows loaded {'and' if quarantined else 'but none'} quarantined")
        event(f"{entity}: {'some' if file.new_columns else 'no'} new columns")
        for row, *key in loaded:  # the loaded key is the one written at that record number
            values = export.records[row - 1][0]
            assert tuple(key) == tuple(values[k] for k in contract.primary_key)

        before = snapshot(warehouse)
        [again] = load_landing(warehouse, landing, [source])
        [file_again] = again.tables[entity].files
        assert (file_again.rows_inserted, file_again.rows_updated) == (0, 0)
        assert (file_again.rows_loaded, file_again.rows_quarantined) == (file.rows_loaded, file.rows_quarantined)
        assert snapshot(warehouse) == before


# No example database: the test must not write into the checkout; a failure prints its example.
@settings(max_examples=40, deadline=None, database=None)
@given(export=price_exports())
def test_malformed_csv_rows_are_each_loaded_once_or_quarantined(base_warehouse: Path, export: Export) -> None:
    check_nothing_lost_nothing_doubled(base_warehouse, "billing/price_book_entries.csv", "price_book_entries", export)


@settings(max_examples=20, deadline=None, database=None)
@given(export=customer_exports())
def test_malformed_json_lines_are_each_loaded_once_or_quarantined(base_warehouse: Path, export: Export) -> None:
    check_nothing_lost_nothing_doubled(base_warehouse, "crm/customers.jsonl", "customers", export)
