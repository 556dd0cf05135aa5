"""Render the dbt sources YAML for the ``raw`` schema from the entity contracts.

The contracts are the source of truth; ``opsintel contracts dbt-sources`` writes this file
and a test fails whenever the committed YAML and the contracts disagree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from models.contract import LINEAGE_COLUMNS, Contract, load_contracts, load_order

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCES_YML = REPO_ROOT / "dbt_project" / "models" / "staging" / "_staging__sources.yml"

LINEAGE_DESCRIPTIONS = {
    "_batch_id": "Load batch that wrote the row (see raw.load_audit).",
    "_source_file": "Export file the row was read from, relative to the landing folder.",
    "_source_row": "Record number of the row in that file (1-based, header not counted).",
    "_loaded_at": "When the row was written to raw (UTC).",
}

HEADER = (
    "# Generated from models/contracts/*.yml by `opsintel contracts dbt-sources`; do not edit.\n"
    "# tests/contracts/test_dbt_sources_agree.py fails when this file and the contracts disagree.\n"
)


def _table(contract: Contract) -> dict:
    columns = [
        {"name": f.name, "description": f.description, "data_type": f.sql_type.lower()}
        for f in contract.fields
    ] + [
        {"name": name, "description": LINEAGE_DESCRIPTIONS[name], "data_type": ddl.split()[0].lower()}
        for name, ddl in LINEAGE_COLUMNS.items()
    ]
    return {
        "name": contract.name,
        "description": contract.description,
        "meta": {
            "source_system": contract.source,
            "primary_key": list(contract.primary_key),
            "dagster": {"asset_key": ["raw", contract.name]},
        },
        "columns": columns,
    }


def render_sources_yaml(contracts: dict[str, Contract] | None = None) -> str:
    contracts = contracts or load_contracts()
    document = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Source-system exports loaded and validated against the entity contracts.",
                "tables": [_table(contracts[name]) for name in load_order(contracts)],
            }
        ],
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)


def disagreements(contracts: dict[str, Contract], sources_yaml: str) -> list[str]:
    """Every way the dbt sources YAML differs from the contracts, one line each."""
    document = yaml.safe_load(sources_yaml) or {}
    raw = [s for s in document.get("sources", []) if s.get("name") == "raw"]
    if not raw:
        return ["no source named 'raw'"]
    tables = {t["name"]: t for t in raw[0].get("tables", [])}
    problems = [f"source table {name!r} has no contract" for name in sorted(set(tables) - set(contracts))]
    for name, contract in sorted(contracts.items()):
        table = tables.get(name)
        if table is None:
            problems.append(f"contract {name!r} has no source table")
            continue
        if table.get("description") != contract.description:
            problems.append(f"{name}: description differs")
        if (table.get("meta") or {}).get("primary_key") != list(contract.primary_key):
            problems.append(f"{name}: primary key differs")
        columns = {c["name"]: c for c in table.get("columns", [])}
        expected = {f.name: (f.sql_type.lower(), f.description) for f in contract.fields}
        expected |= {n: (d.split()[0].lower(), LINEAGE_DESCRIPTIONS[n]) for n, d in LINEAGE_COLUMNS.items()}
        for column in sorted(set(columns) - set(expected)):
            problems.append(f"{name}.{column}: column is not in the contract")
        for column, (data_type, description) in expected.items():
            found = columns.get(column)
            if found is None:
                problems.append(f"{name}.{column}: missing from the sources")
            elif found.get("data_type") != data_type:
                problems.append(f"{name}.{column}: data_type {found.get('data_type')!r}, contract says {data_type!r}")
            elif found.get("description") != description:
                problems.append(f"{name}.{column}: description differs")
    return problems
