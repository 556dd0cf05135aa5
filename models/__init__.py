"""Canonical operational data model: one contract per entity, kept in ``contracts/*.yml``."""

from models.contract import (
    LINEAGE_COLUMNS,
    SOURCE_SYSTEMS,
    Contract,
    ContractError,
    Field,
    ForeignKey,
    contracts_by_source,
    load_contracts,
    load_order,
)

__all__ = [
    "LINEAGE_COLUMNS",
    "SOURCE_SYSTEMS",
    "Contract",
    "ContractError",
    "Field",
    "ForeignKey",
    "contracts_by_source",
    "load_contracts",
    "load_order",
]
