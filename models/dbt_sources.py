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


def render_sources_yaml() -> str:
    contracts = load_contracts()
    document = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Source-system exports loaded and validated against the entity contracts.",
                "tables": [_table(contracts[name]) for name in load_order()],
            }
        ],
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)
