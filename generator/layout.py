"""Landing layout: ``<source>/<entity>.<ext>``, one file per entity, in a realistic mix of formats."""

from __future__ import annotations

from models import Contract

FILE_FORMATS: dict[str, str] = {
    "tenants": "csv",
    "fx_rates": "parquet",
    "approval_events": "jsonl",
    "partners": "csv",
    "partner_settlements": "csv",
    "customers": "csv",
    "opportunities": "csv",
    "contracts": "jsonl",
    "contract_amendments": "jsonl",
    "forecasts": "csv",
    "products": "csv",
    "price_book_entries": "csv",
    "subscription_line_items": "jsonl",
    "invoices": "jsonl",
    "invoice_lines": "parquet",
    "credit_notes": "csv",
    "payments": "csv",
    "usage_events": "parquet",
    "implementation_projects": "jsonl",
    "milestones": "jsonl",
    "vendors": "csv",
    "inventory_items": "csv",
    "purchase_orders": "csv",
    "receipts": "csv",
    "stock_movements": "parquet",
    "device_deployments": "csv",
    "support_tickets": "jsonl",
}


def relative_path(contract: Contract) -> str:
    return f"{contract.source}/{contract.name}.{FILE_FORMATS[contract.name]}"
