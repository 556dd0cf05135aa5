"""Entity contracts: the single source of truth for fields, types, keys and allowed values.

Ingestion validates rows against these contracts, the dbt sources YAML is written from them
and the sample-data generator shapes its output by them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from graphlib import TopologicalSorter
from pathlib import Path

import pyarrow as pa
import yaml

CONTRACTS_DIR = Path(__file__).parent / "contracts"

# Source systems in the order their folders appear in a landing directory.
SOURCE_SYSTEMS: tuple[str, ...] = (
    "finance",
    "partners",
    "crm",
    "billing",
    "usage",
    "projects",
    "procurement",
    "support",
)

# Lineage the loader adds to every raw row: which batch, file and record it came from.
LINEAGE_COLUMNS: dict[str, str] = {
    "_batch_id": "VARCHAR NOT NULL",
    "_source_file": "VARCHAR NOT NULL",
    "_source_row": "BIGINT NOT NULL",
    "_loaded_at": "TIMESTAMP NOT NULL",
}

_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
_SIMPLE_TYPES: dict[str, tuple[pa.DataType, str]] = {
    "string": (pa.string(), "VARCHAR"),
    "int32": (pa.int32(), "INTEGER"),
    "int64": (pa.int64(), "BIGINT"),
    "float64": (pa.float64(), "DOUBLE"),
    "bool": (pa.bool_(), "BOOLEAN"),
    "date": (pa.date32(), "DATE"),
    "timestamp": (pa.timestamp("us"), "TIMESTAMP"),
}


class ContractError(ValueError):
    """A contract file is malformed or inconsistent with the others."""


@dataclass(frozen=True)
class ForeignKey:
    """``field`` (together with ``tenant_id``) must exist as the key of ``entity``."""

    field: str
    entity: str


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str
    allowed_values: tuple[str, ...] | None = None
    references: str | None = None
    min: float | None = None
    max: float | None = None
    # Free text that may hold tab, line feed and carriage return (other control characters
    # are never allowed in any field).
    multiline: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        return _parse_type(self.type)[0]

    @property
    def sql_type(self) -> str:
        return _parse_type(self.type)[1]

    @property
    def is_numeric(self) -> bool:
        return self.type.startswith(("int", "float", "decimal"))


@dataclass(frozen=True)
class Contract:
    name: str
    source: str
    description: str
    primary_key: tuple[str, ...]
    fields: tuple[Field, ...]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def required_fields(self) -> list[Field]:
        return [f for f in self.fields if f.required]

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return [ForeignKey(f.name, f.references) for f in self.fields if f.references]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(f.name, f.arrow_type, nullable=not f.required) for f in self.fields]
        )

    @property
    def key_field(self) -> str:
        """The entity's own identifier: the last primary-key column (after ``tenant_id``)."""
        return self.primary_key[-1]


@cache
def _parse_type(type_name: str) -> tuple[pa.DataType, str]:
    if type_name in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[type_name]
    match = _DECIMAL.match(type_name)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        return pa.decimal128(precision, scale), f"DECIMAL({precision},{scale})"
    raise ContractError(f"unknown type {type_name!r}")


def _field_from_yaml(raw: dict, where: str) -> Field:
    unknown = set(raw) - {
        "name", "type", "required", "description", "allowed_values", "references", "min", "max",
        "multiline",
    }
    if unknown:
        raise ContractError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "type", "required", "description"):
        if key not in raw:
            raise ContractError(f"{where}: field is missing {key!r}")
    _parse_type(raw["type"])
    multiline = raw.get("multiline", False)
    if not isinstance(multiline, bool) or (multiline and raw["type"] != "string"):
        raise ContractError(f"{where}: multiline must be true or false, and true only for a string field")
    allowed = raw.get("allowed_values")
    return Field(
        name=raw["name"],
        type=raw["type"],
        required=bool(raw["required"]),
        description=raw["description"],
        allowed_values=tuple(str(v) for v in allowed) if allowed else None,
        references=raw.get("references"),
        min=raw.get("min"),
        max=raw.get("max"),
        multiline=multiline,
    )


def _contract_from_file(path: Path) -> Contract:
    raw = yaml.safe_load(path.read_text())
    where = path.name
    fields = tuple(
        _field_from_yaml(f, f"{where} field #{i + 1}") for i, f in enumerate(raw["fields"])
    )
    contract = Contract(
        name=raw["name"],
        source=raw["source"],
        description=raw["description"],
        primary_key=tuple(raw["primary_key"]),
        fields=fields,
    )
    if contract.name != path.stem:
        raise ContractError(f"{where}: name {contract.name!r} does not match the file name")
    if contract.source not in SOURCE_SYSTEMS:
        raise ContractError(f"{where}: unknown source {contract.source!r}")
    names = contract.field_names
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: duplicated field names")
    for key in contract.primary_key:
        if key not in names or not contract.field(key).required:
            raise ContractError(f"{where}: primary key {key!r} must be a required field")
    return contract


@cache
def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """All contracts by entity name, checked for consistency (foreign keys resolve)."""
    contracts = {p.stem: _contract_from_file(p) for p in sorted(directory.glob("*.yml"))}
    for contract in contracts.values():
        for fk in contract.foreign_keys:
            if fk.entity not in contracts:
                raise ContractError(
                    f"{contract.name}.{fk.field} references unknown entity {fk.entity!r}"
                )
    return contracts


def load_order(contracts: dict[str, Contract] | None = None) -> list[str]:
    """Entity names with every referenced entity before the entities that reference it.

    Ties are broken by source system order, then by name, so the order is stable.
    """
    contracts = contracts or load_contracts()
    graph = {
        name: {fk.entity for fk in c.foreign_keys if fk.entity != name}
        for name, c in contracts.items()
    }
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    order: list[str] = []
    rank = {s: i for i, s in enumerate(SOURCE_SYSTEMS)}
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: (rank[contracts[n].source], n))
        order.extend(ready)
        sorter.done(*ready)
    return order


def contracts_by_source(contracts: dict[str, Contract] | None = None) -> dict[str, list[Contract]]:
    """Contracts grouped by source system, each group in load order."""
    contracts = contracts or load_contracts()
    grouped: dict[str, list[Contract]] = {s: [] for s in SOURCE_SYSTEMS}
    for name in load_order(contracts):
        grouped[contracts[name].source].append(contracts[name])
    return grouped
