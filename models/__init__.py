"""Canonical operational data model: one contract per entity, kept in ``contracts/*.yml``."""

from models.contract import (
    Contract,
    ContractError,
    Field,
    ForeignKey,
    LINEAGE_COLUMNS,
    SOURCE_SYSTEMS,
    contracts_by_source,
    load_contracts,
    load_order,
)

__all__ = [
    "Contract",
    "ContractError",
    "Field",
    "ForeignKey",
    "LINEAGE_COLUMNS",
    "SOURCE_SYSTEMS",
    "contracts_by_source",
    "load_contracts",
    "load_order",
]
