"""Fixtures over the hand-made company in hand_made_company.py."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    write_csv(root / "finance" / "tenants.csv", TENANTS)
    write_csv(root / "partners" / "partners.csv", PARTNERS)
    write_jsonl(root / "crm" / "customers.jsonl", CUSTOMERS)
    write_parquet(root / "billing" / "products.parquet", "products", PRODUCTS)
    write_csv(root / "billing" / "price_book_entries.csv", [{**p, "unit_price": str(p["unit_price"])} for p in PRICES])
    return root


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "wh" / "opsintel.duckdb")
