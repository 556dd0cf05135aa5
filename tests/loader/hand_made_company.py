"""A tiny hand-written company in three export formats, small enough to check by eye."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from foundation.warehouse import Warehouse
from models import load_contracts

TENANTS = [
    {"tenant_id": "T1", "tenant_name": "Acme Ops", "tenant_type": "operating_company", "reporting_currency": "USD",
     "country_code": "US", "fiscal_year_start_month": "1", "created_at": "2023-01-01T00:00:00"},
    {"tenant_id": "T2", "tenant_name": "Acme Europe", "tenant_type": "business_unit", "reporting_currency": "EUR",
     "country_code": "DE", "fiscal_year_start_month": "4", "created_at": "2023-01-01T00:00:00"},
]
PARTNERS = [
    {"tenant_id": "T1", "partner_id": "P1", "partner_name": "Channel One", "partner_type": "reseller",
     "commission_pct": "12.5", "currency": "USD", "country_code": "US", "is_active": "true"},
]
CUSTOMERS = [
    {"tenant_id": "T1", "customer_id": "C1", "customer_name": "Blue Ltd", "segment": "smb", "region": "na",
     "industry": "retail", "country_code": "US", "billing_currency": "USD", "partner_id": "P1",
     "created_at": "2023-02-01T09:30:00"},
    {"tenant_id": "T1", "customer_id": "C2", "customer_name": "Green, Inc.", "segment": "enterprise", "region": "emea",
     "industry": "logistics", "country_code": "GB", "billing_currency": "GBP", "partner_id": None,
     "created_at": "2023-03-01T00:00:00"},
    {"tenant_id": "T2", "customer_id": "C1", "customer_name": "Rot GmbH", "segment": "mid_market", "region": "emea",
     "industry": "energy", "country_code": "DE", "billing_currency": "EUR", "partner_id": None,
     "created_at": "2023-04-01T00:00:00"},
]
PRODUCTS = [
    {"tenant_id": "T1", "product_id": "PR1", "product_name": "Platform", "product_family": "platform",
     "billing_model": "recurring", "unit_of_measure": "seat", "is_device": False, "is_active": True},
    {"tenant_id": "T2", "product_id": "PR1", "product_name": "Plattform", "product_family": "platform",
     "billing_model": "recurring", "unit_of_measure": "seat", "is_device": False, "is_active": True},
]
PRICES = [
    {"tenant_id": "T1", "price_id": "PB1", "product_id": "PR1", "currency": "USD", "billing_period": "monthly",
     "unit_price": Decimal("49.9900"), "valid_from": "2023-01-01", "valid_to": None},
]


def write_csv(path: Path, rows: list[dict], fields: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = fields or list(rows[0])
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows([{k: ("" if v is None else v) for k, v in r.items()} for r in rows])
    return path


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def write_parquet(path: Path, entity: str, rows: list[dict]) -> Path:
    import datetime as dt

    path.parent.mkdir(parents=True, exist_ok=True)
    # Exporters rarely mark columns non-nullable; write them nullable so bad rows can exist.
    schema = pa.schema([f.with_nullable(True) for f in load_contracts()[entity].arrow_schema])
    converted = []
    for r in rows:
        row = dict(r)
        for f in schema:
            if pa.types.is_date32(f.type) and isinstance(row.get(f.name), str):
                row[f.name] = dt.date.fromisoformat(row[f.name])
        converted.append(row)
    pq.write_table(pa.Table.from_pylist(converted, schema=schema), path)
    return path


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Every raw table's full content (sorted), to compare warehouse states exactly."""
    con = warehouse.reader()
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_name <> 'load_audit' order by 1").fetchall()]
        return {t: sorted(con.execute(f'select * from raw."{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()
