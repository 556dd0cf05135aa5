"""Attacks on the loader through the landing folder: links that lead out of it, control
characters in values, records of hundreds of MiB, files with thousands of stray columns.

Each ends as refused files with one clear line, quarantined records with a reason, or bounded
drift rows and output — never a file outside the landing folder read, never memory growing
with a single record.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hand_made_company import (
    CUSTOMERS,
    PARTNERS,
    PRICES,
    PRODUCTS,
    TENANTS,
    write_csv,
    write_jsonl,
    write_parquet,
)

from foundation.warehouse import Warehouse
from ingestion.loader import batch, load_landing
from ingestion.loader.batch import DRIFT_LINES_PER_FILE
from ingestion.loader.drift import DRIFT_ROWS_PER_FILE
from ingestion.loader.limits import MAX_RECORD_BYTES, QUARANTINED_RECORD_CHARS
from ingestion.loader.staging import stage_file
from ingestion.loader.validation import CHECKED, build_checked_table_sql
from models import Contract, ContractError, Field, load_contracts

HEADER = ",".join(TENANTS[0])
T1 = ",".join(TENANTS[0].values())
T2 = ",".join(TENANTS[1].values())
REPO = Path(__file__).resolve().parents[2]
MiB = 1 << 20
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def by_source(warehouse: Warehouse, landing: Path, sources: list[str] | None = None, progress=None) -> dict:
    return {r.source: r for r in load_landing(warehouse, landing, sources, progress=progress)}


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.reader() as con:
        return con.execute(sql).fetchall()


def quarantine(warehouse: Warehouse) -> list[tuple]:
    return rows(warehouse, "select file, row_number, field, reason from raw.quarantine order by file, row_number")


def failed_audit(warehouse: Warehouse, source: str) -> list[tuple]:
    return rows(warehouse, f"select outcome, file, message from raw.load_audit where source = '{source}' and outcome = 'failed'")


# --- links that lead outside the landing folder ---------------------------------------------

LINK_REFUSED = "is a symbolic link to a place outside the landing folder; nothing loaded — copy the export into the landing folder"


def test_a_file_linked_to_a_system_file_is_refused_without_quoting_it(
    landing: Path, warehouse: Warehouse, tmp_path: Path
) -> None:
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    (landing / "crm" / "customers.jsonl").unlink()
    (landing / "crm" / "customers.csv").symlink_to(secret)
    crm = by_source(warehouse, landing)["crm"]
    message = f"crm/customers.csv: refused: 'crm/customers.csv' {LINK_REFUSED}"
    assert (crm.outcome, crm.message) == ("failed", message)
    assert failed_audit(warehouse, "crm") == [("failed", "crm/customers.csv", message)]
    assert rows(warehouse, "select count(*) from raw.customers") == [(0,)]


def test_a_file_linked_to_a_valid_export_outside_is_refused_not_loaded(
    landing: Path, warehouse: Warehouse, tmp_path: Path
) -> None:
    outside = write_csv(tmp_path / "elsewhere" / "customers.csv", CUSTOMERS)
    (landing / "crm" / "customers.jsonl").unlink()
    (landing / "crm" / "customers.csv").symlink_to(outside)
    results = by_source(warehouse, landing)
    assert results["crm"].message == f"crm/customers.csv: refused: 'crm/customers.csv' {LINK_REFUSED}"
    assert results["crm"].rows_read == 0
    assert rows(warehouse, "select count(*) from raw.customers") == [(0,)]
    assert results["finance"].outcome == "loaded"  # the other sources still load


def test_a_parts_folder_linked_outside_is_refused_naming_the_folder(
    landing: Path, warehouse: Warehouse, tmp_path: Path
) -> None:
    parts = tmp_path / "elsewhere" / "customer-parts"
    write_jsonl(parts / "part-1.jsonl", CUSTOMERS)
    (landing / "crm" / "customers.jsonl").unlink()
    (landing / "crm" / "customers").symlink_to(parts, target_is_directory=True)
    crm = by_source(warehouse, landing)["crm"]
    assert crm.message == f"crm/customers/part-1.jsonl: refused: 'crm/customers' {LINK_REFUSED}"


def test_a_source_folder_linked_outside_is_refused_before_its_files_are_listed(
    landing: Path, warehouse: Warehouse, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "support"
    outside.mkdir(parents=True)
    (outside / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")  # no contract claims it
    (landing / "support").symlink_to(outside, target_is_directory=True)
    lines: list[str] = []
    support = by_source(warehouse, landing, progress=lines.append)["support"]
    assert (support.outcome, support.message) == ("failed", f"support: refused: 'support' {LINK_REFUSED}")
    assert failed_audit(warehouse, "support") == [("failed", "support", support.message)]
    assert not [line for line in lines if "id_rsa" in line]


def test_a_link_swapped_while_the_file_is_read_never_reads_the_other_file(
    landing: Path, warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Flip the link to a file outside just before the read and back just after it: the loader
    # reads the file it checked (opened once), never the one outside.
    inside = write_jsonl(landing / ".exports" / "customers-export.jsonl", CUSTOMERS)
    secret_rows = [{**row, "customer_name": "SECRET " + row["customer_name"]} for row in CUSTOMERS]
    outside = write_jsonl(tmp_path / "elsewhere" / "customers.jsonl", secret_rows)
    link = landing / "crm" / "customers.jsonl"
    link.unlink()
    link.symlink_to(inside)
    real_stage_file = batch.stage_file

    def point(target: Path) -> None:
        link.unlink()
        link.symlink_to(target)

    def swap_around_the_read(con, path, label, contract, fmt):
        point(outside)
        try:
            return real_stage_file(con, path, label, contract, fmt)
        finally:
            point(inside)

    monkeypatch.setattr(batch, "stage_file", swap_around_the_read)
    crm = by_source(warehouse, landing)["crm"]
    assert (crm.outcome, crm.rows_loaded) == ("loaded", 3)
    assert rows(warehouse, "select customer_name from raw.customers order by customer_id") == [
        (row["customer_name"],) for row in sorted(CUSTOMERS, key=lambda r: r["customer_id"])]
    assert rows(warehouse, "select count(*) from raw.quarantine where record like '%SECRET%'") == [(0,)]


def test_links_that_stay_inside_the_landing_folder_load(landing: Path, warehouse: Warehouse) -> None:
    # A folder of dated exports with the current one linked under its contract name.
    store = write_jsonl(landing / ".exports" / "crm-2026-10-31" / "customers-export.jsonl", CUSTOMERS)
    (landing / "crm" / "customers.jsonl").unlink()
    (landing / "crm" / "customers.jsonl").symlink_to(Path("..") / store.relative_to(landing))
    crm = by_source(warehouse, landing)["crm"]
    assert (crm.outcome, crm.rows_read, crm.rows_loaded) == ("loaded", 3, 3)
    assert rows(warehouse, "select distinct _source_file from raw.customers") == [("crm/customers.jsonl",)]


def test_stop_messages_quote_only_short_clean_column_names(landing: Path, warehouse: Warehouse) -> None:
    # A "header" of 30 long names carrying terminal escape sequences and a NUL.
    names = [f"\x1b[31m{'c' * 100}{i}\x00" for i in range(30)]
    path = landing / "finance" / "tenants.csv"
    path.write_text(",".join(names) + "\n" + ",".join("v" for _ in names) + "\n")
    finance = by_source(warehouse, landing, ["finance"])["finance"]
    message = finance.message
    prefix = "finance/tenants.csv: required column 'tenant_id' is missing (columns found: "
    assert message.startswith(prefix) and not CONTROL.search(message)
    found = message[len(prefix):].split("; not in the contract:")[0]
    shown = found.split(" and ")[0].split(", ")
    assert len(shown) <= 12 and all(len(name) <= 64 for name in shown)
    assert found.endswith(f" and {30 - len(shown)} more")
    assert shown[0] == "[31m" + "c" * 57 + "..."  # the name without its control characters, cut
    assert len(message) < 1_200
    assert failed_audit(warehouse, "finance") == [("failed", "finance/tenants.csv", message)]


# --- control characters in values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "codepoint"),
    [("Summit\x00Grid S.L.", "U+0000"), ("Acme\x1b[2J Ops", "U+001B"), ("Acme\x7fOps", "U+007F"),
     ("Acme\x85Ops", "U+0085"), ("Acme\tOps", "U+0009")],
    ids=["nul", "escape", "delete", "c1-next-line", "tab"],
)
def test_control_characters_in_a_csv_value_are_quarantined(
    tmp_path: Path, warehouse: Warehouse, name: str, codepoint: str
) -> None:
    bad = {**TENANTS[1], "tenant_id": "T3", "tenant_name": name}
    write_csv(tmp_path / "finance" / "tenants.csv", [TENANTS[0], bad, TENANTS[1]])
    finance = by_source(warehouse, tmp_path, ["finance"])["finance"]
    assert (finance.rows_read, finance.rows_loaded, finance.rows_quarantined) == (3, 2, 1)
    assert quarantine(warehouse) == [
        ("finance/tenants.csv", 2, "tenant_name", f"control character {codepoint} in field tenant_name")]
    assert rows(warehouse, "select tenant_id from raw.tenants order by 1") == [("T1",), ("T2",)]


@pytest.mark.parametrize(
    ("field", "value"),
    [("valid_from", "2024-01-01\x00"), ("unit_price", "49.99\x1b"), ("currency", "US\x00D"), ("billing_period", "\x7f")],
)
def test_control_characters_in_typed_values_and_codes_are_named_as_such(
    landing: Path, warehouse: Warehouse, field: str, value: str
) -> None:
    bad = {**PRICES[0], "price_id": "PB2", field: value}
    write_csv(landing / "billing" / "price_book_entries.csv", [PRICES[0], bad])
    prices = by_source(warehouse, landing)["billing"].tables["price_book_entries"]
    assert (prices.rows_read, prices.rows_loaded, prices.rows_quarantined) == (2, 1, 1)
    codepoint = f"U+{ord(CONTROL.search(value).group()):04X}"
    assert quarantine(warehouse) == [
        ("billing/price_book_entries.csv", 2, field, f"control character {codepoint} in field {field}")]


def test_nul_in_a_json_string_is_quarantined(landing: Path, warehouse: Warehouse) -> None:
    lines = [CUSTOMERS[0], {**CUSTOMERS[1], "customer_name": "Summit\u0000Grid S.L."}, CUSTOMERS[2]]
    write_jsonl(landing / "crm" / "customers.jsonl", lines)  # json.dumps writes it as \u0000
    crm = by_source(warehouse, landing)["crm"]
    assert (crm.rows_read, crm.rows_loaded, crm.rows_quarantined) == (3, 2, 1)
    assert quarantine(warehouse) == [
        ("crm/customers.jsonl", 2, "customer_name", "control character U+0000 in field customer_name")]


def test_nul_in_a_parquet_string_is_quarantined(landing: Path, warehouse: Warehouse) -> None:
    write_parquet(landing / "billing" / "products.parquet", "products",
                  [PRODUCTS[0], {**PRODUCTS[1], "product_name": "Platt\x00form"}])
    billing = by_source(warehouse, landing)["billing"]
    products = billing.tables["products"]
    assert (products.rows_read, products.rows_loaded, products.rows_quarantined) == (2, 1, 1)
    assert quarantine(warehouse) == [
        ("billing/products.parquet", 2, "product_name", "control character U+0000 in field product_name")]


def test_only_multiline_fields_keep_tab_and_line_breaks(tmp_path: Path) -> None:
    notes = Contract(
        name="notes", source="support", description="Free-text notes.", primary_key=("tenant_id", "note_id"),
        fields=(
            Field("tenant_id", "string", True, "Tenant."),
            Field("note_id", "string", True, "Identifier."),
            Field("title", "string", False, "One line."),
            Field("body", "string", False, "Free text.", multiline=True),
        ),
    )
    path = tmp_path / "notes.csv"
    path.write_bytes(
        b'tenant_id,note_id,title,body\n'
        b'T1,N1,Renewal,"Call back:\tMonday\r\nthen email\nthe PO"\n'
        b'T1,N2,"Two\nlines",ok\n'
        b'T1,N3,Fine,"NUL \x00 here"\n'
    )
    con = duckdb.connect()
    staged = stage_file(con, path, "support/notes.csv", notes, "csv")
    con.execute(build_checked_table_sql(notes))
    checked = con.execute(f"select __row, __error_field, __error_reason, body from {CHECKED} order by 1").fetchall()
    assert staged.rows_read == 3
    assert checked == [
        (1, None, None, "Call back:\tMonday\r\nthen email\nthe PO"),
        (2, "title", "control character U+000A in field title", "ok"),
        (3, "body", "control character U+0000 in field body", "NUL \x00 here"),
    ]


def test_multiline_is_only_for_string_fields(tmp_path: Path) -> None:
    (tmp_path / "notes.yml").write_text(
        "name: notes\nsource: support\ndescription: Notes.\nprimary_key: [tenant_id]\nfields:\n"
        "- {name: tenant_id, type: string, required: true, description: Tenant.}\n"
        "- {name: pages, type: int32, required: false, description: Pages., multiline: true}\n"
    )
    with pytest.raises(ContractError, match="notes.yml field #2: multiline must be true or false, and true only for a string field"):
        load_contracts(tmp_path)


# --- records of hundreds of MiB -------------------------------------------------------------

PEAK_RSS = """
import resource, sys
from pathlib import Path
from ingestion.loader import load_landing
from foundation.warehouse import Warehouse
results = load_landing(Warehouse(Path(sys.argv[2])), Path(sys.argv[1]))
print(sum(r.rows_read for r in results), sum(r.rows_loaded for r in results), sum(r.rows_quarantined for r in results))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_of_a_load(landing: Path, warehouse: Path) -> tuple[tuple[int, int, int], int]:
    """(rows read, loaded, quarantined) and peak RSS in MiB of a load in a fresh process."""
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, str(landing), str(warehouse)],
                          cwd=REPO, capture_output=True, text=True, check=True)
    counts, peak_kib = done.stdout.strip().splitlines()
    read, loaded, quarantined = (int(x) for x in counts.split())
    return (read, loaded, quarantined), int(peak_kib) // 1024


def small_company(root: Path) -> Path:
    write_csv(root / "finance" / "tenants.csv", TENANTS)
    write_csv(root / "partners" / "partners.csv", PARTNERS)
    write_jsonl(root / "crm" / "customers.jsonl", CUSTOMERS)
    return root


def write_big(handle, text: str, mib: int) -> None:
    for _ in range(mib):
        handle.write(text * (MiB // len(text)))


def test_huge_records_are_quarantined_while_reading_with_bounded_memory(tmp_path: Path) -> None:
    base = small_company(tmp_path / "base")
    (base_counts, base_peak) = peak_rss_of_a_load(base, tmp_path / "wh-base" / "w.duckdb")
    assert base_counts == (6, 6, 0)

    huge = small_company(tmp_path / "huge")
    with open(huge / "crm" / "customers.jsonl", "a") as handle:  # lines 4 and 5: 50 and 200 MiB
        for mib in (50, 200):
            handle.write(json.dumps({**CUSTOMERS[0], "customer_id": f"CB{mib}"})[:-1] + ', "customer_name": "')
            write_big(handle, "x", mib)
            handle.write('"}\n')
        handle.write(json.dumps({**CUSTOMERS[0], "customer_id": "C9"}) + "\n")
    with open(huge / "finance" / "tenants.csv", "a") as handle:  # records 3 and 4, quoted, with newlines
        for mib in (50, 200):
            handle.write(f'T{mib},"')
            write_big(handle, "y" * 63 + "\n", mib)
            handle.write('",business_unit,EUR,DE,4,2023-01-01T00:00:00\n')
        handle.write(T2.replace("T2", "T9") + "\n")
    warehouse = Warehouse(tmp_path / "wh-huge" / "w.duckdb")
    (huge_counts, huge_peak) = peak_rss_of_a_load(huge, warehouse.path)
    assert huge_counts == (6 + 6, 6 + 2, 4)
    assert huge_peak <= base_peak + 100, f"peak RSS {huge_peak} MiB with the huge records, {base_peak} MiB without"

    def over_the_limit(what: str, length: int) -> str:
        return f"{what} is {length:,} bytes long, over the limit of 4,194,304 bytes"

    def json_head(mib: int) -> str:
        return json.dumps({**CUSTOMERS[0], "customer_id": f"CB{mib}"})[:-1] + ', "customer_name": "'

    csv_tail = '",business_unit,EUR,DE,4,2023-01-01T00:00:00'
    got = rows(warehouse, "select file, row_number, field, reason, length(record), left(record, 60) "
                          "from raw.quarantine order by file, row_number")
    assert got == [
        ("crm/customers.jsonl", 4, "(record)", over_the_limit("line", len(json_head(50)) + (50 << 20) + 2),
         QUARANTINED_RECORD_CHARS, json_head(50)[:60]),
        ("crm/customers.jsonl", 5, "(record)", over_the_limit("line", len(json_head(200)) + (200 << 20) + 2),
         QUARANTINED_RECORD_CHARS, json_head(200)[:60]),
        ("finance/tenants.csv", 3, "(record)", over_the_limit("record", len('T50,"') + (50 << 20) + len(csv_tail)),
         QUARANTINED_RECORD_CHARS, 'T50,"' + "y" * 55),
        ("finance/tenants.csv", 4, "(record)", over_the_limit("record", len('T200,"') + (200 << 20) + len(csv_tail)),
         QUARANTINED_RECORD_CHARS, 'T200,"' + "y" * 54),
    ]
    # Records after the huge ones keep their numbers.
    assert rows(warehouse, "select tenant_id, _source_row from raw.tenants order by 1") == [("T1", 1), ("T2", 2), ("T9", 5)]
    assert rows(warehouse, "select customer_id, _source_row from raw.customers where customer_id = 'C9'") == [("C9", 6)]


# A customers line up to the opening quote of its last value, the name.
_NAME_HEAD = json.dumps({**{k: v for k, v in CUSTOMERS[2].items() if k != "customer_name"}, "customer_name": ""})[:-2]


def _jsonl_line_of(length: int) -> str:
    return _NAME_HEAD + "x" * (length - len(_NAME_HEAD) - 2) + '"}'


@pytest.mark.parametrize("end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_the_record_limit_is_exact_for_json_lines(landing: Path, warehouse: Warehouse, end: str) -> None:
    assert MAX_RECORD_BYTES == 4 * MiB
    at_limit, over = _jsonl_line_of(MAX_RECORD_BYTES), _jsonl_line_of(MAX_RECORD_BYTES + 1)
    assert (len(at_limit), len(over)) == (MAX_RECORD_BYTES, MAX_RECORD_BYTES + 1)
    (landing / "crm" / "customers.jsonl").write_text(
        end.join([json.dumps(CUSTOMERS[0]), at_limit, over, json.dumps(CUSTOMERS[1])]) + end, newline="")
    by_source(warehouse, landing)
    assert [(r, f, reason) for _, r, f, reason in quarantine(warehouse)] == [
        (2, "customer_name", f"value is {MAX_RECORD_BYTES - len(_NAME_HEAD) - 2:,} characters long, over the limit of 1,048,576"),
        (3, "(record)", "line is 4,194,305 bytes long, over the limit of 4,194,304 bytes"),
    ]


def test_the_record_limit_is_exact_for_csv(tmp_path: Path, warehouse: Warehouse) -> None:
    head, tail = 'T3,"', '",business_unit,EUR,DE,4,2023-01-01T00:00:00'

    def record_of(length: int, tenant: str) -> str:
        return f'{tenant},"' + "z" * (length - len(head) - len(tail)) + tail

    at_limit, over = record_of(MAX_RECORD_BYTES, "T3"), record_of(MAX_RECORD_BYTES + 1, "T4")
    assert (len(at_limit), len(over)) == (MAX_RECORD_BYTES, MAX_RECORD_BYTES + 1)
    path = tmp_path / "finance" / "tenants.csv"
    path.parent.mkdir(parents=True)
    path.write_text(f"{HEADER}\n{T1}\n{at_limit}\n{over}\n{T2}\n")
    finance = by_source(warehouse, tmp_path, ["finance"])["finance"]
    assert (finance.rows_read, finance.rows_loaded, finance.rows_quarantined) == (4, 2, 2)
    assert [(r, f, reason) for _, r, f, reason in quarantine(warehouse)] == [
        (2, "tenant_name", f"value is {len(at_limit) - len(head) - len(tail):,} characters long, over the limit of 1,048,576"),
        (3, "(record)", "record is 4,194,305 bytes long, over the limit of 4,194,304 bytes"),
    ]
    assert rows(warehouse, "select tenant_id, _source_row from raw.tenants order by 1") == [("T1", 1), ("T2", 4)]


def test_a_long_csv_record_with_odd_quoting_keeps_the_others_exact(tmp_path: Path, warehouse: Warehouse) -> None:
    # Arrow's rules: a quote opens quoting only at the start of a value, "" is a quote, CR / CRLF
    # end records, empty lines are no records. The records around a long one load exactly.
    long_value = "w" * (MAX_RECORD_BYTES + 10)
    lines = [
        HEADER,
        'T1,"Acme ""Ops"", Inc.",operating_company,USD,US,1,2023-01-01T00:00:00',
        "",
        f'T5,"{long_value}",business_unit,EUR,DE,4,2023-01-01T00:00:00',
        'T6,5" screen,business_unit,EUR,DE,4,2023-01-01T00:00:00',
        "T7,too few",
        'T8,"",business_unit,EUR,DE,4,2023-01-01T00:00:00',
    ]
    path = tmp_path / "finance" / "tenants.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    finance = by_source(warehouse, tmp_path, ["finance"])["finance"]
    assert (finance.rows_read, finance.rows_loaded, finance.rows_quarantined) == (5, 2, 3)
    assert [(r, f, reason) for _, r, f, reason in quarantine(warehouse)] == [
        (2, "(record)", f"record is {len(lines[3]):,} bytes long, over the limit of 4,194,304 bytes"),
        (4, "(record)", "record has 2 fields, header has 7"),
        (5, "tenant_name", "required field is empty"),
    ]
    assert rows(warehouse, "select tenant_id, tenant_name, _source_row from raw.tenants order by 1") == [
        ("T1", 'Acme "Ops", Inc.', 1), ("T6", '5" screen', 3)]


def test_bad_utf8_inside_a_long_line_stops_with_its_line_and_byte(landing: Path, warehouse: Warehouse) -> None:
    line = _jsonl_line_of(MAX_RECORD_BYTES + 100).encode()
    line = line[: 3 * MiB] + b"\xe9" + line[3 * MiB:]
    (landing / "crm" / "customers.jsonl").write_bytes(json.dumps(CUSTOMERS[0]).encode() + b"\n" + line + b"\n")
    crm = by_source(warehouse, landing)["crm"]
    assert crm.message == ("crm/customers.jsonl: line 2: byte 0xE9 is not valid UTF-8 (Latin-1 or Windows-1252 "
                           "text?); nothing loaded — re-export the file as UTF-8")


# --- thousands of stray columns --------------------------------------------------------------


def test_ten_thousand_new_columns_load_with_one_summary_line_and_bounded_drift(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    extra = [f"extra_{i}" for i in range(10_000)]
    path = tmp_path / "finance" / "tenants.csv"
    path.parent.mkdir(parents=True)
    body = [",".join([*{**TENANTS[i % 2], "tenant_id": f"T{i}"}.values(), *map(str, range(10_000))]) for i in range(100)]
    path.write_text("\n".join([HEADER + "," + ",".join(extra), *body]) + "\n")
    lines: list[str] = []
    finance = by_source(warehouse, tmp_path, ["finance"], progress=lines.append)["finance"]
    [file] = finance.tables["tenants"].files
    assert (finance.outcome, file.rows_read, file.rows_loaded, file.rows_quarantined) == ("loaded", 100, 100, 0)
    assert file.new_columns == extra
    assert lines == [
        ("finance/tenants.csv: 10,000 new columns not in the contract ('extra_0', 'extra_1', 'extra_2', "
         "'extra_3', 'extra_4' and 9,995 more): ignored, recorded as drift"),
        "finance/tenants.csv: 100 read, 100 loaded (100 new, 0 changed), 0 quarantined",
    ]
    drift = rows(warehouse, "select column_name from raw.schema_drift where change = 'added'")
    assert DRIFT_ROWS_PER_FILE == 100
    assert sorted(drift) == sorted([(name,) for name in extra[:100]] + [("(9,900 more columns)",)])
    by_source(warehouse, tmp_path, ["finance"])  # the same file again: the same rows, no more
    assert sorted(rows(warehouse, "select column_name from raw.schema_drift")) == sorted(drift)


@pytest.mark.parametrize("count", [DRIFT_LINES_PER_FILE, DRIFT_LINES_PER_FILE + 1])
def test_a_handful_of_new_columns_get_a_line_each(tmp_path: Path, warehouse: Warehouse, count: int) -> None:
    extra = {f"col\x1b{i}": "v" for i in range(count)}  # an escape sequence never reaches the output
    write_csv(tmp_path / "finance" / "tenants.csv", [{**t, **extra} for t in TENANTS])
    lines: list[str] = []
    by_source(warehouse, tmp_path, ["finance"], progress=lines.append)
    drift_lines = [line for line in lines if "drift" in line]
    assert len(drift_lines) == (count if count <= DRIFT_LINES_PER_FILE else 1)
    assert not any(CONTROL.search(line) for line in lines)
    assert drift_lines[0] == (
        "finance/tenants.csv: new column 'col0' not in the contract: ignored, recorded as drift"
        if count <= DRIFT_LINES_PER_FILE else
        "finance/tenants.csv: 6 new columns not in the contract ('col0', 'col1', 'col2', 'col3', 'col4' "
        "and 1 more): ignored, recorded as drift"
    )
    assert sorted(rows(warehouse, "select column_name from raw.schema_drift")) == [(f"col{i}",) for i in range(count)]
