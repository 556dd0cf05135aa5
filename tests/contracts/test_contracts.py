"""The canonical model: every entity of the design, fully described, keyed and linked."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from models import ContractError, load_contracts, load_order
from models.contract import CONTRACTS_DIR

DESIGN_ENTITIES = {
    "tenants", "customers", "products", "price_book_entries", "contracts", "contract_amendments",
    "subscription_line_items", "usage_events", "invoices", "invoice_lines", "credit_notes",
    "payments", "implementation_projects", "milestones", "vendors", "purchase_orders", "receipts",
    "inventory_items", "stock_movements", "device_deployments", "support_tickets", "partners",
    "partner_settlements", "approval_events", "opportunities", "forecasts", "fx_rates",
}


def test_one_contract_per_design_entity() -> None:
    assert set(load_contracts()) == DESIGN_ENTITIES


@pytest.mark.parametrize("name", sorted(DESIGN_ENTITIES))
def test_contract_is_complete(name: str) -> None:
    contract = load_contracts()[name]
    assert contract.description.strip()
    tenant = contract.field("tenant_id")
    assert tenant.required and contract.primary_key[0] == "tenant_id"
    for field in contract.fields:
        assert field.description.strip(), f"{name}.{field.name} has no description"
        assert isinstance(field.arrow_type, pa.DataType)
        if field.allowed_values:
            assert len(set(field.allowed_values)) == len(field.allowed_values)
    schema = contract.arrow_schema
    assert schema.names == contract.field_names
    assert [schema.field(n).nullable for n in schema.names] == [not f.required for f in contract.fields]


def test_load_order_puts_every_referenced_entity_first() -> None:
    order = load_order()
    position = {name: i for i, name in enumerate(order)}
    contracts = load_contracts()
    for contract in contracts.values():
        for fk in contract.foreign_keys:
            assert position[fk.entity] < position[contract.name], (contract.name, fk)


def _copy_contracts(tmp_path: Path) -> Path:
    target = tmp_path / "contracts"
    target.mkdir()
    for path in CONTRACTS_DIR.glob("*.yml"):
        (target / path.name).write_text(path.read_text())
    return target


def test_a_foreign_key_to_an_unknown_entity_is_rejected(tmp_path: Path) -> None:
    folder = _copy_contracts(tmp_path)
    path = folder / "payments.yml"
    path.write_text(path.read_text().replace("references: invoices", "references: bills"))
    with pytest.raises(ContractError, match="references unknown entity 'bills'"):
        load_contracts.__wrapped__(folder)


def test_an_unknown_type_is_rejected(tmp_path: Path) -> None:
    folder = _copy_contracts(tmp_path)
    path = folder / "tenants.yml"
    path.write_text(path.read_text().replace("type: int32", "type: integer", 1))
    with pytest.raises(ContractError, match="unknown type 'integer'"):
        load_contracts.__wrapped__(folder)
