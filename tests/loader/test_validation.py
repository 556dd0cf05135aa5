"""Each contract rule quarantines exactly the record that breaks it, with a reason naming the field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hand_made_company import CUSTOMERS, PRODUCTS, TENANTS, write_csv, write_jsonl, write_parquet

from ingestion.loader import load_landing


def quarantine(warehouse) -> list[tuple]:
    con = warehouse.reader()
    try:
        return con.execute("select file, row_number, field, reason from raw.quarantine order by file, row_number").fetchall()
    finally:
        con.close()


def test_clean_fixture_loads_every_row_with_exact_values(landing: Path, warehouse) -> None:
    results = {r.source: r for r in load_landing(warehouse, landing)}
    assert results["finance"].outcome == "loaded" and results["finance"].rows_loaded == 2
    assert results["crm"].rows_loaded == 3 and results["crm"].rows_quarantined == 0
    assert results["billing"].tables["products"].rows_loaded == 2
    assert results["usage"].outcome == "no_files"
    con = warehouse.reader()
    price = con.execute("select unit_price, valid_to from raw.price_book_entries").fetchone()
    assert price == (Decimal("49.9900"), None)
    c2 = con.execute("select customer_name, partner_id, created_at::varchar from raw.customers "
                     "where tenant_id = 'T1' and customer_id = 'C2'").fetchone()
    assert c2 == ("Green, Inc.", None, "2023-03-01 00:00:00")
    assert con.execute("select is_active from raw.partners").fetchone() == (True,)
    assert con.execute("select count(*) from raw.quarantine").fetchone() == (0,)


@pytest.mark.parametrize(
    ("field", "value", "reason_part"),
    [
        ("tenant_type", "holding", "is not one of"),
        ("fiscal_year_start_month", "13", "above the maximum 12"),
        ("fiscal_year_start_month", "0", "below the minimum 1"),
        ("fiscal_year_start_month", "4.5", "not a whole number"),
        ("fiscal_year_start_month", "four", "not a whole number"),
        ("fiscal_year_start_month", "n/a", "not a whole number"),
        ("tenant_name", "NULL", None),
        ("created_at", "2024-13-45T00:00:00", "not a timestamp"),
        ("created_at", "yesterday", "not a timestamp"),
        ("tenant_name", "", "required field is empty"),
        ("reporting_currency", "usd", "is not one of"),
    ],
)
def test_csv_rule_violations(tmp_path: Path, warehouse, field: str, value: str, reason_part: str | None) -> None:
    bad = {**TENANTS[0], "tenant_id": "T9", field: value}
    write_csv(tmp_path / "finance" / "tenants.csv", [TENANTS[0], bad, TENANTS[1]])
    [result] = load_landing(warehouse, tmp_path, ["finance"])
    if reason_part is None:  # text that merely looks like a null marker is a value
        assert result.rows_loaded == 3
        assert warehouse.reader().execute("select tenant_name from raw.tenants where tenant_id = 'T9'").fetchall() == [(value,)]
        return
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    [(file, row, bad_field, reason)] = quarantine(warehouse)
    assert (file, row, bad_field) == ("finance/tenants.csv", 2, field)
    assert reason_part in reason


def test_decimal_is_never_rounded(tmp_path: Path, warehouse, landing: Path) -> None:
    rows = [
        {"tenant_id": "T1", "price_id": "OK", "product_id": "PR1", "currency": "USD", "billing_period": "annual",
         "unit_price": "1200.1234", "valid_from": "2023-01-01", "valid_to": ""},
        {"tenant_id": "T1", "price_id": "TOO-PRECISE", "product_id": "PR1", "currency": "USD", "billing_period": "annual",
         "unit_price": "1200.12345", "valid_from": "2023-01-01", "valid_to": ""},
        {"tenant_id": "T1", "price_id": "THOUSANDS", "product_id": "PR1", "currency": "USD", "billing_period": "annual",
         "unit_price": "1,200.00", "valid_from": "2023-01-01", "valid_to": ""},
    ]
    write_csv(landing / "billing" / "price_book_entries.csv", rows)
    results = {r.source: r for r in load_landing(warehouse, landing)}
    assert results["billing"].tables["price_book_entries"].rows_loaded == 1
    q = {row[1]: row[3] for row in quarantine(warehouse)}
    assert set(q) == {2, 3} and all("decimal with at most 14 digits before and 4 after" in r for r in q.values())
    con = warehouse.reader()
    assert con.execute("select unit_price from raw.price_book_entries").fetchone() == (Decimal("1200.1234"),)


def test_jsonl_types_broken_lines_duplicates_and_foreign_keys(landing: Path, warehouse) -> None:
    good = CUSTOMERS[0]
    lines = [
        good,                                                     # 1 loads
        {**good, "customer_id": "C7", "customer_name": 123},      # 2 number where a string is required
        "{not json",                                               # 3 broken line
        "",                                                        # (blank line: not a record)
        {**good, "customer_id": "C8", "partner_id": "P404"},      # 5 unknown partner
        {**good, "customer_id": "C9", "tenant_id": "T404"},       # 6 unknown tenant
        {**good, "customer_name": "Changed"},                     # 7 duplicate of record 1
        "[1, 2]",                                                  # 8 not an object
        {k: v for k, v in good.items() if k != "segment"} | {"customer_id": "C10"},  # 9 key missing
    ]
    write_jsonl(landing / "crm" / "customers.jsonl", lines)
    results = {r.source: r for r in load_landing(warehouse, landing)}
    crm = results["crm"]
    assert (crm.rows_read, crm.rows_loaded, crm.rows_quarantined) == (8, 1, 7)
    got = {row[1]: (row[2], row[3]) for row in quarantine(warehouse)}
    assert got[2] == ("customer_name", "expected a JSON string, found ubigint '123'")
    assert got[3] == ("(record)", "line is not valid JSON")
    assert got[5] == ("partner_id", "unknown partners key 'P404' (not in raw.partners)")
    assert got[6][0] == "tenant_id"
    assert got[7] == ("customer_id", "duplicate primary key (first seen at record 1)")
    assert got[8] == ("(record)", "line is not a JSON object")
    assert got[9] == ("segment", "required field is empty")
    con = warehouse.reader()
    assert con.execute("select customer_name from raw.customers").fetchall() == [("Blue Ltd",)]
    record = con.execute("select record from raw.quarantine where row_number = 7").fetchone()[0]
    assert json.loads(record)["customer_name"] == "Changed"


def test_csv_rows_with_wrong_field_count_are_quarantined_not_dropped(tmp_path: Path, warehouse) -> None:
    path = write_csv(tmp_path / "finance" / "tenants.csv", TENANTS)
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0], text[1], "T3,only,three", '"T4","quoted\nname",business_unit,EUR,DE,4,2023-01-01', text[2]]) + "\n")
    [result] = load_landing(warehouse, tmp_path, ["finance"])
    # Four records: the quoted newline belongs to record 3 (quarantined: a name is one line).
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert [(row, field, reason) for _, row, field, reason in quarantine(warehouse)] == [
        (2, "(record)", "record has 3 fields, header has 7"),
        (3, "tenant_name", "control character U+000A in field tenant_name"),
    ]
    con = warehouse.reader()
    loaded = sorted(con.execute("select tenant_id, tenant_name, _source_row from raw.tenants").fetchall())
    assert loaded == [("T1", "Acme Ops", 1), ("T2", "Acme Europe", 4)]


def test_parquet_nulls_and_values_outside_the_contract(landing: Path, warehouse) -> None:
    rows = PRODUCTS + [
        {**PRODUCTS[0], "product_id": "PR2", "product_name": None},
        {**PRODUCTS[0], "product_id": "PR3", "billing_model": "barter"},
        {**PRODUCTS[0], "product_id": "PR1", "product_name": "Again"},
    ]
    write_parquet(landing / "billing" / "products.parquet", "products", rows)
    results = {r.source: r for r in load_landing(warehouse, landing)}
    products = results["billing"].tables["products"]
    assert (products.rows_read, products.rows_loaded, products.rows_quarantined) == (5, 2, 3)
    got = {row[1]: (row[2], row[3]) for row in quarantine(warehouse)}
    assert got[3] == ("product_name", "required field is empty")
    assert got[4][0] == "billing_model" and "'barter' is not one of" in got[4][1]
    assert got[5] == ("product_id", "duplicate primary key (first seen at record 1)")
