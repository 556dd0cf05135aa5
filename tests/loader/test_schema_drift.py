"""Schema drift: new columns are recorded and ignored, missing or retyped ones stop the source."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hand_made_company import (
    CUSTOMERS,
    PRICES,
    PRODUCTS,
    TENANTS,
    write_csv,
    write_jsonl,
    write_parquet,
)

from foundation.warehouse import Warehouse
from ingestion.loader import load_landing
from ingestion.loader.drift import CHANGED_TYPE_MIN_VALUES
from models import load_contracts

PRICES_CSV = "billing/price_book_entries.csv"


def drift_rows(warehouse: Warehouse) -> list[tuple]:
    with warehouse.reader() as con:
        return con.execute(
            "select batch_id, source, entity, file, column_name, change from raw.schema_drift "
            "order by file, column_name"
        ).fetchall()


def load(warehouse: Warehouse, landing: Path, sources: list[str] | None = None):
    lines: list[str] = []
    results = {r.source: r for r in load_landing(warehouse, landing, sources, progress=lines.append)}
    return results, lines


def price(i: int, **changes: object) -> dict:
    return {**PRICES[0], "price_id": f"PB{i}", "unit_price": "49.9900", **changes}


def test_new_csv_column_is_ignored_recorded_once_and_cleared_by_a_fixed_export(
    landing: Path, warehouse: Warehouse
) -> None:
    fields = ["tenant_id", "tenant_name", "region_code", *[k for k in TENANTS[0] if k not in ("tenant_id", "tenant_name")]]
    write_csv(landing / "finance" / "tenants.csv", [{**t, "region_code": "EMEA"} for t in TENANTS], fields)
    results, lines = load(warehouse, landing, ["finance"])
    finance = results["finance"]
    [file] = finance.tables["tenants"].files
    assert (finance.outcome, file.rows_read, file.rows_loaded, file.rows_quarantined) == ("loaded", 2, 2, 0)
    assert (file.new_columns, file.missing_columns) == (["region_code"], [])
    assert "finance/tenants.csv: new column 'region_code' not in the contract: ignored, recorded as drift" in lines
    first = [(finance.batch_id, "finance", "tenants", "finance/tenants.csv", "region_code", "added")]
    assert drift_rows(warehouse) == first

    again, _ = load(warehouse, landing, ["finance"])
    assert again["finance"].tables["tenants"].files[0].new_columns == ["region_code"]
    assert drift_rows(warehouse) == first  # same file again: no second row, first batch kept

    write_csv(landing / "finance" / "tenants.csv", TENANTS)
    fixed, lines = load(warehouse, landing, ["finance"])
    assert fixed["finance"].tables["tenants"].files[0].new_columns == []
    assert not [line for line in lines if "drift" in line]
    assert drift_rows(warehouse) == []


def test_new_json_key_on_some_lines_is_recorded(landing: Path, warehouse: Warehouse) -> None:
    lines = [CUSTOMERS[0], {**CUSTOMERS[1], "vip": True, "notes": None}, CUSTOMERS[2]]
    write_jsonl(landing / "crm" / "customers.jsonl", lines)
    results, progress = load(warehouse, landing)
    crm = results["crm"]
    [file] = crm.tables["customers"].files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (3, 3, 0)
    assert file.new_columns == ["vip", "notes"]  # in the order they appear
    assert drift_rows(warehouse) == [
        (crm.batch_id, "crm", "customers", "crm/customers.jsonl", "notes", "added"),
        (crm.batch_id, "crm", "customers", "crm/customers.jsonl", "vip", "added"),
    ]
    assert "crm/customers.jsonl: new column 'vip' not in the contract: ignored, recorded as drift" in progress


def test_new_parquet_column_is_recorded(landing: Path, warehouse: Warehouse) -> None:
    path = write_parquet(landing / "billing" / "products.parquet", "products", PRODUCTS)
    table = pq.read_table(path)
    pq.write_table(table.append_column("colour", pa.array(["red", "blue"])), path)
    results, _ = load(warehouse, landing)
    billing = results["billing"]
    [file] = billing.tables["products"].files
    assert (file.rows_read, file.rows_loaded, file.new_columns) == (2, 2, ["colour"])
    assert drift_rows(warehouse) == [
        (billing.batch_id, "billing", "products", "billing/products.parquet", "colour", "added")]


def test_missing_optional_column_loads_as_empty_and_is_recorded(landing: Path, warehouse: Warehouse) -> None:
    fields = [k for k in PRICES[0] if k != "valid_to"]
    write_csv(landing / "billing" / "price_book_entries.csv", [price(1, valid_to="2024-01-01")], fields)
    results, lines = load(warehouse, landing)
    billing = results["billing"]
    [file] = billing.tables["price_book_entries"].files
    assert (file.rows_loaded, file.new_columns, file.missing_columns) == (1, [], ["valid_to"])
    assert f"{PRICES_CSV}: optional column 'valid_to' is missing: loaded as empty, recorded as drift" in lines
    assert drift_rows(warehouse) == [
        (billing.batch_id, "billing", "price_book_entries", PRICES_CSV, "valid_to", "missing")]
    with warehouse.reader() as con:
        assert con.execute("select price_id, valid_to from raw.price_book_entries").fetchall() == [("PB1", None)]


def test_drift_is_rolled_back_with_its_batch(landing: Path, warehouse: Warehouse) -> None:
    path = write_parquet(landing / "billing" / "products.parquet", "products", PRODUCTS)
    pq.write_table(pq.read_table(path).append_column("colour", pa.array(["red", "blue"])), path)
    (landing / PRICES_CSV).write_bytes(b"")  # the batch's second file stops it
    results, _ = load(warehouse, landing)
    assert results["billing"].outcome == "failed"
    assert drift_rows(warehouse) == []


def test_renamed_required_csv_column_stops_naming_both_names(landing: Path, warehouse: Warehouse) -> None:
    (landing / "crm" / "customers.jsonl").unlink()
    renamed = [{("customer_segment" if k == "segment" else k): v for k, v in c.items()} for c in CUSTOMERS]
    write_csv(landing / "crm" / "customers.csv", renamed)
    results, _ = load(warehouse, landing, ["finance", "partners", "crm"])
    assert results["crm"].outcome == "failed"
    assert results["crm"].message == (
        "crm/customers.csv: required column 'segment' is missing (columns found: tenant_id, customer_id, "
        "customer_name, customer_segment, region, industry, country_code, billing_currency, partner_id, "
        "created_at; not in the contract: 'customer_segment' (renamed?))"
    )


def test_renamed_required_json_key_stops(landing: Path, warehouse: Warehouse) -> None:
    renamed = [{("created" if k == "created_at" else k): v for k, v in c.items()} for c in CUSTOMERS]
    write_jsonl(landing / "crm" / "customers.jsonl", renamed)
    results, _ = load(warehouse, landing, ["finance", "partners", "crm"])
    assert results["crm"].message == (
        "crm/customers.jsonl: required column 'created_at' is missing (columns found: tenant_id, customer_id, "
        "customer_name, segment, region, industry, country_code, billing_currency, partner_id, created; "
        "not in the contract: 'created' (renamed?))"
    )


def _prices_parquet(landing: Path, column: str, arrow_type: pa.DataType, values: list) -> Path:
    (landing / PRICES_CSV).unlink()
    schema = pa.schema([pa.field(f.name, arrow_type if f.name == column else f.arrow_type)
                        for f in load_contracts()["price_book_entries"].fields])
    rows = [{**PRICES[0], "valid_from": dt.date(2023, 1, 1), column: values[0]}]
    path = landing / "billing" / "price_book_entries.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


@pytest.mark.parametrize(
    ("column", "arrow_type", "value", "found", "expected"),
    [
        ("unit_price", pa.string(), "49.99", "string", "decimal(18,4)"),
        ("unit_price", pa.binary(), b"49.99", "binary", "decimal(18,4)"),
        ("unit_price", pa.bool_(), True, "bool", "decimal(18,4)"),
        ("unit_price", pa.float64(), 49.99, "double", "decimal(18,4)"),
        ("valid_from", pa.int64(), 20230101, "int64", "date"),
        ("valid_from", pa.string(), "2023-01-01", "string", "date"),
        ("valid_from", pa.timestamp("us"), dt.datetime(2023, 1, 1), "timestamp[us]", "date"),
        ("currency", pa.int32(), 840, "int32", "string"),
    ],
)
def test_parquet_column_of_another_type_stops(
    landing: Path, warehouse: Warehouse, column: str, arrow_type: pa.DataType, value: object, found: str, expected: str
) -> None:
    _prices_parquet(landing, column, arrow_type, [value])
    results, _ = load(warehouse, landing)
    assert results["billing"].outcome == "failed"
    assert results["billing"].message == (
        f"billing/price_book_entries.parquet: column '{column}' has type {found}, expected {expected} "
        "(changed type); nothing loaded"
    )


def test_parquet_integers_where_a_decimal_is_expected_load(landing: Path, warehouse: Warehouse) -> None:
    _prices_parquet(landing, "unit_price", pa.int64(), [49])
    results, _ = load(warehouse, landing)
    assert results["billing"].outcome == "loaded"
    with warehouse.reader() as con:
        assert con.execute("select unit_price from raw.price_book_entries").fetchall() == [(Decimal("49.0000"),)]


def test_csv_column_whose_every_value_fails_its_type_stops(landing: Path, warehouse: Warehouse) -> None:
    assert CHANGED_TYPE_MIN_VALUES == 10
    # Empty and blank cells are not values: they do not save the column from the rule.
    rows = [price(i, unit_price=f"n/a{i}") for i in range(1, 11)] + [price(11, unit_price=""), price(12, unit_price="  ")]
    write_csv(landing / PRICES_CSV, rows)
    results, _ = load(warehouse, landing)
    assert results["billing"].outcome == "failed"
    assert results["billing"].message == (
        f"{PRICES_CSV}: column 'unit_price' looks like a changed type: expected decimal(18,4), but none of "
        "its 10 values is one (e.g. record 1: 'n/a1'); nothing loaded"
    )


@pytest.mark.parametrize(
    ("rows", "loaded", "quarantined"),
    [
        ([price(i, unit_price="n/a") for i in range(1, 10)], 0, 9),                  # nine: too few to judge
        ([price(i, unit_price="n/a") for i in range(1, 11)] + [price(11)], 1, 10),   # one good value
    ],
    ids=["nine-bad", "ten-bad-one-good"],
)
def test_csv_type_failures_below_the_rule_stay_per_row_quarantine(
    landing: Path, warehouse: Warehouse, rows: list[dict], loaded: int, quarantined: int
) -> None:
    write_csv(landing / PRICES_CSV, rows)
    results, _ = load(warehouse, landing)
    prices = results["billing"].tables["price_book_entries"]
    assert results["billing"].outcome == "loaded"
    assert (prices.rows_loaded, prices.rows_quarantined) == (loaded, quarantined)
    with warehouse.reader() as con:
        reasons = con.execute("select distinct reason from raw.quarantine").fetchall()
    assert reasons == [("not a decimal with at most 14 digits before and 4 after the point: 'n/a'",)]


def test_json_column_whose_every_value_fails_its_type_stops(landing: Path, warehouse: Warehouse) -> None:
    # Timestamps exported as epoch seconds: numbers where ISO text is expected.
    lines = [{**CUSTOMERS[0], "customer_id": f"C{i}", "created_at": 1675243800 + i} for i in range(10)]
    write_jsonl(landing / "crm" / "customers.jsonl", lines)
    results, _ = load(warehouse, landing, ["finance", "partners", "crm"])
    assert results["crm"].message == (
        "crm/customers.jsonl: column 'created_at' looks like a changed type: expected timestamp, but none of "
        "its 10 values is one (e.g. record 1: '1675243800'); nothing loaded"
    )
