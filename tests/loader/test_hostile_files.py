"""Hostile and messy export files: each ends as loaded rows, quarantined rows with a reason, or
one clear line naming the file (and line / column) — never a stack trace, never a lost row."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hand_made_company import CUSTOMERS, PRICES, TENANTS, snapshot, write_csv, write_jsonl

from foundation.warehouse import Warehouse
from ingestion.loader import batch, load_landing
from ingestion.loader.staging import REPEATED_HEADER
from ingestion.loader.validation import MAX_FIELD_CHARS, QUARANTINED_RECORD_CHARS

HEADER = "tenant_id,tenant_name,tenant_type,reporting_currency,country_code,fiscal_year_start_month,created_at"
T1 = "T1,Acme Ops,operating_company,USD,US,1,2023-01-01T00:00:00"
T2 = "T2,Acme Europe,business_unit,EUR,DE,4,2023-01-01T00:00:00"
TENANTS_CSV = "finance/tenants.csv"


def csv_text(*lines: str, end: str = "\n") -> str:
    return "".join(line + end for line in lines)


def quarantine(warehouse: Warehouse) -> list[tuple]:
    with warehouse.reader() as con:
        return con.execute(
            "select file, row_number, field, reason from raw.quarantine order by file, row_number"
        ).fetchall()


def write_tenants(root: Path, text: str | bytes) -> Path:
    path = root / TENANTS_CSV
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def load_finance(warehouse: Warehouse, root: Path):
    [result] = load_landing(warehouse, root, ["finance"])
    return result


def counts(result) -> tuple[int, int, int]:
    return result.rows_read, result.rows_loaded, result.rows_quarantined


def tenants_in_raw(warehouse: Warehouse) -> list[tuple]:
    with warehouse.reader() as con:
        return con.execute(
            "select tenant_id, tenant_name, created_at::varchar, _source_row from raw.tenants order by 1"
        ).fetchall()


@pytest.mark.parametrize("text", [HEADER + "\n", HEADER, HEADER + "\r\n"], ids=["lf", "no-line-end", "crlf"])
def test_header_only_csv_loads_zero_rows_without_error(tmp_path: Path, warehouse: Warehouse, text: str) -> None:
    write_tenants(tmp_path, text)
    result = load_finance(warehouse, tmp_path)
    assert result.outcome == "loaded" and result.message is None
    assert counts(result) == (0, 0, 0)
    assert tenants_in_raw(warehouse) == [] and quarantine(warehouse) == []


def test_duplicated_header_name_stops_naming_the_column_and_both_positions(tmp_path: Path, warehouse: Warehouse) -> None:
    header = HEADER.replace("country_code", "country_code,tenant_name")
    write_tenants(tmp_path, f"{header}\nT1,Acme Ops,operating_company,USD,US,Other,1,2023-01-01T00:00:00\n")
    result = load_finance(warehouse, tmp_path)
    assert result.outcome == "failed"
    assert result.message == (
        "finance/tenants.csv: column 'tenant_name' appears twice in the header (columns 2 and 6); nothing loaded"
    )
    assert tenants_in_raw(warehouse) == []


def test_duplicated_parquet_column_stops_naming_the_column_and_both_positions(landing: Path, warehouse: Warehouse) -> None:
    columns = [pa.array(["T1"]), pa.array(["PR1"]), pa.array(["Platform"]), pa.array(["T2"])]
    pq.write_table(pa.Table.from_arrays(columns, names=["tenant_id", "product_id", "product_name", "tenant_id"]),
                   landing / "billing" / "products.parquet")
    billing = {r.source: r for r in load_landing(warehouse, landing)}["billing"]
    assert billing.message == (
        "billing/products.parquet: column 'tenant_id' appears twice in the header (columns 1 and 4); nothing loaded"
    )


def test_header_repeated_inside_the_data_is_quarantined_as_such(tmp_path: Path, warehouse: Warehouse) -> None:
    # Two exports glued together: the second header is a record of column names.
    write_tenants(tmp_path, csv_text(HEADER, T1, HEADER, T2))
    result = load_finance(warehouse, tmp_path)
    assert counts(result) == (3, 2, 1)
    assert quarantine(warehouse) == [(TENANTS_CSV, 2, "(record)", REPEATED_HEADER)]
    assert REPEATED_HEADER == "record looks like a repeated header line (every value is its column's name)"
    assert [r[0] for r in tenants_in_raw(warehouse)] == ["T1", "T2"]


def test_utf8_byte_order_mark_is_dropped_from_csv(tmp_path: Path, warehouse: Warehouse) -> None:
    write_tenants(tmp_path, b"\xef\xbb\xbf" + csv_text(HEADER, T1, T2).encode())
    result = load_finance(warehouse, tmp_path)
    assert counts(result) == (2, 2, 0)
    assert [r[0] for r in tenants_in_raw(warehouse)] == ["T1", "T2"]  # not "\ufeffT1"


def test_utf8_byte_order_mark_is_dropped_from_json_lines(landing: Path, warehouse: Warehouse) -> None:
    path = write_jsonl(landing / "crm" / "customers.jsonl", CUSTOMERS)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    crm = {r.source: r for r in load_landing(warehouse, landing)}["crm"]
    assert counts(crm) == (3, 3, 0)
    assert quarantine(warehouse) == []


@pytest.mark.parametrize(
    ("relative", "content", "message"),
    [
        (TENANTS_CSV, (HEADER + "\n" + T1 + "\n" + T2.replace("Acme Europe", "Café Europe") + "\n").encode("latin-1"),
         ("finance/tenants.csv: line 3: byte 0xE9 is not valid UTF-8 (Latin-1 or Windows-1252 text?); "
          "nothing loaded — re-export the file as UTF-8")),
        ("crm/customers.jsonl",
         (json.dumps(CUSTOMERS[0]) + "\n" + json.dumps({**CUSTOMERS[1], "customer_name": "“Green”"}, ensure_ascii=False)
          + "\n").encode("cp1252"),
         ("crm/customers.jsonl: line 2: byte 0x93 is not valid UTF-8 (Latin-1 or Windows-1252 text?); "
          "nothing loaded — re-export the file as UTF-8")),
    ],
    ids=["latin-1-csv", "windows-1252-jsonl"],
)
def test_latin1_or_windows_1252_text_stops_with_line_and_byte(
    landing: Path, warehouse: Warehouse, relative: str, content: bytes, message: str
) -> None:
    (landing / relative).write_bytes(content)
    results = {r.source: r for r in load_landing(warehouse, landing)}
    stopped = results[relative.split("/")[0]]
    assert stopped.outcome == "failed"
    assert stopped.message == message


def test_crlf_line_ends_are_not_part_of_values(landing: Path, warehouse: Warehouse) -> None:
    write_tenants(landing, csv_text(HEADER, T1, T2, end="\r\n"))
    jsonl = write_jsonl(landing / "crm" / "customers.jsonl", CUSTOMERS)
    jsonl.write_bytes(jsonl.read_bytes().replace(b"\n", b"\r\n"))
    results = {r.source: r for r in load_landing(warehouse, landing)}
    assert counts(results["finance"]) == (2, 2, 0) and counts(results["crm"]) == (3, 3, 0)
    assert tenants_in_raw(warehouse) == [
        ("T1", "Acme Ops", "2023-01-01 00:00:00", 1), ("T2", "Acme Europe", "2023-01-01 00:00:00", 2)]
    with warehouse.reader() as con:
        assert con.execute("select count(*) from raw.customers where created_at is null").fetchall() == [(0,)]


def test_quoted_newlines_keep_record_numbers_right_after_them(tmp_path: Path, warehouse: Warehouse) -> None:
    lines = [
        HEADER,
        'T1,"Acme\nOps\nHoldings",operating_company,USD,US,1,2023-01-01T00:00:00',  # record 1, 3 lines
        "T3,too few",                                                               # record 2
        'T2,"Acme\r\nEurope",business_unit,EUR,DE,4,2023-01-01T00:00:00',           # record 3, 2 lines
        "T4,Late,business_unit,EUR,DE,13,2023-01-01T00:00:00",                      # record 4
    ]
    write_tenants(tmp_path, csv_text(*lines))
    result = load_finance(warehouse, tmp_path)
    # A tenant name is one line, so records 1 and 3 are quarantined too (multiline text loads:
    # see test_loader_attacks.py).
    assert counts(result) == (4, 0, 4)
    assert quarantine(warehouse) == [
        (TENANTS_CSV, 1, "tenant_name", "control character U+000A in field tenant_name"),
        (TENANTS_CSV, 2, "(record)", "record has 2 fields, header has 7"),
        (TENANTS_CSV, 3, "tenant_name", "control character U+000D in field tenant_name"),
        (TENANTS_CSV, 4, "fiscal_year_start_month", "'13' is above the maximum 12"),
    ]


def test_delimiter_and_quotes_inside_quoted_values(tmp_path: Path, warehouse: Warehouse) -> None:
    write_tenants(tmp_path, HEADER + '\nT1,"Acme, ""Ops"", Inc.",operating_company,USD,US,1,2023-01-01T00:00:00\n')
    result = load_finance(warehouse, tmp_path)
    assert counts(result) == (1, 1, 0)
    assert tenants_in_raw(warehouse) == [("T1", 'Acme, "Ops", Inc.', "2023-01-01 00:00:00", 1)]


DECIMAL_HINT = "not a decimal with at most 14 digits before and 4 after the point"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("valid_from", "2024/01/31", "not a date YYYY-MM-DD: '2024/01/31'"),
        ("valid_from", "31.01.2024", "not a date YYYY-MM-DD: '31.01.2024'"),
        ("valid_from", "01/31/2024", "not a date YYYY-MM-DD: '01/31/2024'"),
        ("valid_from", "2024-1-5", "not a date YYYY-MM-DD: '2024-1-5'"),
        ("valid_from", "Jan 31, 2024", "not a date YYYY-MM-DD: 'Jan 31, 2024'"),
        ("valid_from", "2024-02-30", "not a date YYYY-MM-DD: '2024-02-30'"),
        ("unit_price", "1,200.00", f"{DECIMAL_HINT}: '1,200.00'"),
        ("unit_price", "1.200,00", f"{DECIMAL_HINT}: '1.200,00'"),
        ("unit_price", "1 200.00", f"{DECIMAL_HINT}: '1 200.00'"),
        ("unit_price", "-5.00", "'-5.00' is below the minimum 0"),
        ("unit_price", "123456789012345678901234.00", f"{DECIMAL_HINT}: '123456789012345678901234.00'"),
        ("unit_price", "1e30", f"{DECIMAL_HINT}: '1e30'"),
        ("unit_price", "$49.99", f"{DECIMAL_HINT}: '$49.99'"),
        ("currency", "XYZ", "'XYZ' is not one of: USD, EUR, GBP, CAD, AUD"),
        ("currency", "usd", "'usd' is not one of: USD, EUR, GBP, CAD, AUD"),
    ],
)
def test_messy_values_are_quarantined_with_the_reason(
    landing: Path, warehouse: Warehouse, field: str, value: str, reason: str
) -> None:
    bad = {**PRICES[0], "price_id": "PB2", field: value}
    write_csv(landing / "billing" / "price_book_entries.csv", [PRICES[0], bad])
    prices = {r.source: r for r in load_landing(warehouse, landing)}["billing"].tables["price_book_entries"]
    assert counts(prices) == (2, 1, 1)
    assert quarantine(warehouse) == [("billing/price_book_entries.csv", 2, field, reason)]


def test_a_huge_field_is_quarantined_with_its_length_and_a_capped_record(tmp_path: Path, warehouse: Warehouse) -> None:
    # 2 MiB in one cell: over the field limit, within the record limit (longer records are
    # quarantined whole while reading: see test_loader_attacks.py).
    huge = "x" * (2 << 20)
    write_tenants(tmp_path, csv_text(HEADER, T1, f"T9,{huge},business_unit,EUR,DE,4,2023-01-01T00:00:00", T2))
    result = load_finance(warehouse, tmp_path)
    assert counts(result) == (3, 2, 1)
    assert quarantine(warehouse) == [(
        TENANTS_CSV, 2, "tenant_name",
        f"value is {len(huge):,} characters long, over the limit of 1,048,576",
    )]
    full = json.dumps({"tenant_id": "T9", "tenant_name": huge, "tenant_type": "business_unit",
                       "reporting_currency": "EUR", "country_code": "DE", "fiscal_year_start_month": "4",
                       "created_at": "2023-01-01T00:00:00"}, separators=(",", ":"))
    with warehouse.reader() as con:
        [(record,)] = con.execute("select record from raw.quarantine").fetchall()
    assert record == full[:10_000] + f"... ({len(full):,} characters)"
    assert [r[0] for r in tenants_in_raw(warehouse)] == ["T1", "T2"]


@pytest.mark.parametrize(("length", "loaded"), [(MAX_FIELD_CHARS, True), (MAX_FIELD_CHARS + 1, False)])
def test_the_field_length_limit_is_exact(tmp_path: Path, warehouse: Warehouse, length: int, loaded: bool) -> None:
    assert (MAX_FIELD_CHARS, QUARANTINED_RECORD_CHARS) == (1_048_576, 10_000)
    write_tenants(tmp_path, csv_text(HEADER, T1.replace("Acme Ops", "é" * length)))
    result = load_finance(warehouse, tmp_path)  # characters, not bytes: é is two bytes
    assert counts(result) == ((1, 1, 0) if loaded else (1, 0, 1))


def _change_after_reading(monkeypatch: pytest.MonkeyPatch, change) -> None:
    """Run ``change(path)`` right after the file was read and before the loader checks it."""
    real_stage_file = batch.stage_file

    def stage_then_change(con, path, label, contract, fmt):
        staged = real_stage_file(con, path, label, contract, fmt)
        change(Path(os.readlink(path)))  # the file the loader opened (it reads through /proc/self/fd)
        return staged

    monkeypatch.setattr(batch, "stage_file", stage_then_change)


def _append_a_row(path: Path) -> None:
    with open(path, "a") as handle:
        handle.write("T3,Acme Asia,business_unit,USD,SG,1,2023-01-01T00:00:00\n")


def _same_size_and_time(path: Path) -> None:
    # Only the content hash can tell this apart: same length, same modification time.
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"Acme Ops", b"Acme Oqs"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


@pytest.mark.parametrize("change", [_append_a_row, _same_size_and_time, Path.unlink], ids=["appended", "rewritten", "deleted"])
def test_a_file_changing_while_it_is_read_stops_its_source(
    landing: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, change
) -> None:
    load_landing(warehouse, landing, ["finance"])
    before = snapshot(warehouse)
    write_csv(landing / "finance" / "tenants.csv", [*TENANTS, {**TENANTS[0], "tenant_id": "T5"}])
    _change_after_reading(monkeypatch, change)
    result = load_finance(warehouse, landing)
    assert result.outcome == "failed"
    assert result.message == (
        "finance/tenants.csv: changed while being read; nothing loaded — load again when the export is complete"
    )
    assert snapshot(warehouse) == before
