"""Render the dbt staging layer from the entity contracts: its YAML and its SQL.

The contracts are the source of truth. The staging layer has one folder per source system,
``models/staging/<source>/``, and two YAML files in each (``opsintel contracts dbt`` writes
them):

- ``_<source>__sources.yml``: the system's tables of the ``raw`` source, each with its
  freshness from ``models/freshness.yml``; a test fails whenever the committed YAML and the
  contracts (or the freshness file) disagree.
- ``_<source>__models.yml``: one ``stg_<source>__<entity>`` model per contract with every
  column described and the contract's rules as dbt tests; tests/dbt fails when a committed
  file differs from the rendering.

``stg_<source>__<entity>.sql`` itself is rendered too (``render_staging_sql``): the command
writes it for a new contract, and tests/dbt checks the committed SQL equals the rendering and
lints clean.

The naming rules of the staging layer (model names, surrogate and foreign key columns) live
here too, so the SQL models, their YAML and the tests cannot disagree about them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from models.contract import LINEAGE_COLUMNS, Contract, Field, load_contracts, load_order
from models.freshness import FreshnessRule, load_freshness_rules

REPO_ROOT = Path(__file__).resolve().parents[1]
STAGING_DIR = REPO_ROOT / "dbt_project" / "models" / "staging"
# A YAML stream of several files (render_*_yaml() without a system): one document per file.
DOCUMENT_SEPARATOR = "---\n"


def staging_folder(system: str) -> Path:
    """``models/staging/<source system>/``: the system's staging SQL and its two YAML files."""
    return STAGING_DIR / system


def sources_yml_path(system: str) -> Path:
    return staging_folder(system) / f"_{system}__sources.yml"


def models_yml_path(system: str) -> Path:
    return staging_folder(system) / f"_{system}__models.yml"


def source_systems(contracts: dict[str, Contract]) -> list[str]:
    return sorted({c.source for c in contracts.values()})


def _stream(texts: list[str]) -> str:
    return DOCUMENT_SEPARATOR.join(texts)


def _committed_stream(paths: list[Path]) -> str:
    """The committed files as one stream; a missing file is an empty document."""
    return _stream([path.read_text() if path.exists() else "" for path in paths])

LINEAGE_DESCRIPTIONS = {
    "_batch_id": "Load batch that wrote the row (see raw.load_audit).",
    "_source_file": "Export file the row was read from, relative to the landing folder.",
    "_source_row": "Record number of the row in that file (1-based, header not counted).",
    "_loaded_at": "When the row was written to raw (UTC).",
}
# dbt source freshness reads the newest row's load time (naive UTC, which dbt takes as UTC).
LOADED_AT_FIELD = "_loaded_at"

HEADER = (
    "# Generated from models/contracts/*.yml by `opsintel contracts dbt`; do not edit.\n"
    "# tests/contracts/test_dbt_sources_agree.py fails when this file and the contracts disagree.\n"
)


def _freshness_period(hours: float) -> dict:
    """dbt counts whole periods: hours when they are whole, else minutes."""
    if float(hours).is_integer():
        return {"count": int(hours), "period": "hour"}
    return {"count": round(hours * 60), "period": "minute"}


def source_table_config(rule: FreshnessRule) -> dict:
    """The ``config`` of a raw source table: its freshness from ``models/freshness.yml``."""
    return {
        "loaded_at_field": LOADED_AT_FIELD,
        "freshness": {
            "warn_after": _freshness_period(rule.warn_after_hours),
            "error_after": _freshness_period(rule.error_after_hours),
        },
    }


# The shared description of the tenant column, written once in models/_shared_columns.md.
TENANT_DOC = "{{ doc('tenant_id') }}"


def column_description(contract: Contract, field: Field) -> str:
    """A column's description in the dbt YAML: the contract's words, or the shared ``tenant_id``
    docs block where the column is the owning tenant (every table but ``tenants`` itself)."""
    if field.name == TENANT_COLUMN and contract.name != "tenants":
        return TENANT_DOC
    return field.description


def _table(contract: Contract, rule: FreshnessRule) -> dict:
    columns = [
        {"name": f.name, "description": column_description(contract, f), "data_type": f.sql_type.lower()}
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
        "config": source_table_config(rule),
        "columns": columns,
        # Raw is kept unique on the key by the loader's upsert; staging dedupes anyway, so a
        # duplicate here is a warning about the loader, not a reason to stop the build.
        "data_tests": [
            {
                "unique_combination_of_columns": {
                    "arguments": {"combination_of_columns": list(contract.primary_key)},
                    "config": {"severity": "warn"},
                }
            }
        ],
    }


def render_sources_yaml(
    contracts: dict[str, Contract] | None = None,
    rules: dict[str, FreshnessRule] | None = None,
    system: str | None = None,
) -> str:
    """``_<system>__sources.yml``; without a system, every system's file as one YAML stream.

    Every file declares its tables under the one ``raw`` source (dbt merges them), so models
    and selectors keep ``source('raw', ...)`` / ``source:raw.<table>``.
    """
    contracts = contracts or load_contracts()
    rules = rules or load_freshness_rules()
    if system is None:
        return _stream([render_sources_yaml(contracts, rules, s) for s in source_systems(contracts)])
    document = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Source-system exports loaded and validated against the entity contracts.",
                "tables": [
                    _table(contracts[name], rules[system])
                    for name in load_order(contracts) if contracts[name].source == system
                ],
            }
        ],
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)


def read_sources_yaml(contracts: dict[str, Contract] | None = None) -> str:
    """The committed ``_<system>__sources.yml`` files as one stream, like render_sources_yaml()."""
    systems = source_systems(contracts or load_contracts())
    return _committed_stream([sources_yml_path(s) for s in systems])


def source_tables(sources_yaml: str) -> dict[str, dict]:
    """The tables of the ``raw`` source across every document of a sources YAML stream."""
    return {
        table["name"]: table
        for document in yaml.safe_load_all(sources_yaml) if document
        for source in document.get("sources", []) if source.get("name") == "raw"
        for table in source.get("tables", [])
    }


def disagreements(
    contracts: dict[str, Contract],
    sources_yaml: str,
    rules: dict[str, FreshnessRule] | None = None,
) -> list[str]:
    """Every way the dbt sources YAML differs from the contracts (and freshness), one line each."""
    rules = rules or load_freshness_rules()
    tables = source_tables(sources_yaml)
    if not tables:
        return ["no source named 'raw'"]
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
        if table.get("config") != source_table_config(rules[contract.source]):
            problems.append(
                f"{name}: freshness differs from models/freshness.yml ({contract.source})"
            )
        columns = {c["name"]: c for c in table.get("columns", [])}
        expected = {f.name: (f.sql_type.lower(), column_description(contract, f)) for f in contract.fields}
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


# --- staging models ------------------------------------------------------------------------

MODELS_HEADER = (
    "# Generated from models/contracts/*.yml by `opsintel contracts dbt`; do not edit.\n"
    "# tests/dbt/test_staging_yaml.py fails when this file and the contracts disagree.\n"
)
TENANT_COLUMN = "tenant_id"
KEY_DATA_TYPE = "varchar"


def staging_model_name(contract: Contract) -> str:
    """``stg_<source system>__<entity>``, e.g. ``stg_billing__invoice_lines``."""
    return f"stg_{contract.source}__{contract.name}"


def singular(entity: str) -> str:
    """``opportunities`` -> ``opportunity``, ``invoice_lines`` -> ``invoice_line``."""
    if entity.endswith("ies"):
        return entity[:-3] + "y"
    return entity.removesuffix("s")


def surrogate_key_column(contract: Contract) -> str:
    """The one-column key of a staging model: ``<entity in singular>_key``."""
    return f"{singular(contract.name)}_key"


def foreign_key_columns(contract: Contract, contracts: dict[str, Contract]) -> dict[str, str]:
    """Foreign-key field -> the column holding the referenced row's surrogate key.

    The column is named like the parent's own key (``line_item_id`` references
    subscription_line_items -> ``subscription_line_item_key``) so a join reads
    ``child.x_key = parent.x_key``; should two fields reference the same entity, the field
    name decides (``<field without _id>_key``). ``tenant_id`` gets none: it is one column already.
    """
    taken = set(contract.field_names) | {surrogate_key_column(contract)}
    columns: dict[str, str] = {}
    for fk in contract.foreign_keys:
        if fk.field == TENANT_COLUMN:
            continue
        parent = contracts[fk.entity]
        if len(parent.primary_key) != 2 or parent.primary_key[0] != TENANT_COLUMN:
            raise ValueError(
                f"{contract.name}.{fk.field}: {parent.name} has no (tenant_id, id) key to reference"
            )
        name = surrogate_key_column(parent)
        if name in taken:
            name = fk.field.removesuffix("_id") + "_key"
        if name in taken:
            raise ValueError(f"{contract.name}.{fk.field}: no free name for its key column")
        taken.add(name)
        columns[fk.field] = name
    return columns


# Column groups of a staging model, in the order the SQL and the YAML list them.
COLUMN_GROUPS = ("keys", "ids", "strings", "numerics", "booleans", "dates", "timestamps", "lineage")


def column_group(contract: Contract, field: Field) -> str:
    if field.name in contract.primary_key or field.references or field.name.endswith("_id"):
        return "ids"
    if field.is_numeric:
        return "numerics"
    return {"bool": "booleans", "date": "dates", "timestamp": "timestamps"}.get(field.type, "strings")


def _key_args(columns: list[str]) -> str:
    return "[" + ", ".join(f"'{c}'" for c in columns) + "]"


def staging_columns(contract: Contract, contracts: dict[str, Contract]) -> list[dict]:
    """Every column of the staging model in order: name, group, data_type, description, sql.

    ``sql`` is the select expression (Jinja) for computed columns and None for columns passed
    through from raw under their contract name.
    """
    key = surrogate_key_column(contract)
    pk = list(contract.primary_key)
    columns = [{
        "name": key, "group": "keys", "data_type": KEY_DATA_TYPE,
        "sql": f"{{{{ generate_surrogate_key({_key_args(pk)}) }}}}",
        "description": (
            f"Surrogate key of the row: hash of ({', '.join(pk)}). Unique across tenants; join on it."
        ),
    }]
    for field_name, key_column in foreign_key_columns(contract, contracts).items():
        parent = contracts[contract.field(field_name).references]
        columns.append({
            "name": key_column, "group": "keys", "data_type": KEY_DATA_TYPE,
            "sql": f"{{{{ generate_foreign_key({_key_args([TENANT_COLUMN, field_name])}) }}}}",
            "description": (
                f"Surrogate key of the referenced {singular(parent.name).replace('_', ' ')} "
                f"(hash of tenant_id, {field_name}); joins to {staging_model_name(parent)}."
                f"{surrogate_key_column(parent)}."
                + ("" if contract.field(field_name).required else f" Null when {field_name} is empty.")
            ),
        })
    for group in COLUMN_GROUPS[1:-1]:
        for f in contract.fields:
            if column_group(contract, f) == group:
                columns.append({"name": f.name, "group": group, "data_type": f.sql_type.lower(),
                                "description": column_description(contract, f), "sql": None})
    for name, ddl in LINEAGE_COLUMNS.items():
        columns.append({"name": name, "group": "lineage", "data_type": ddl.split()[0].lower(),
                        "description": LINEAGE_DESCRIPTIONS[name], "sql": None})
    return columns


def _field_tests(contract: Contract, field: Field, contracts: dict[str, Contract]) -> list:
    tests: list = []
    if field.required:
        tests.append("not_null")
    if field.references and field.name == TENANT_COLUMN:
        tests.append({"relationships": {"arguments": {
            "to": f"ref('{staging_model_name(contracts['tenants'])}')", "field": TENANT_COLUMN}}})
    elif field.references:
        parent = contracts[field.references]
        tests.append({"relationships_within_tenant": {"arguments": {
            "to": f"ref('{staging_model_name(parent)}')", "field": parent.key_field}}})
    if field.allowed_values:
        tests.append({"accepted_values": {"arguments": {"values": list(field.allowed_values)}}})
    if field.min is not None or field.max is not None:
        bounds = {k: v for k, v in (("min_value", field.min), ("max_value", field.max))
                  if v is not None}
        tests.append({"accepted_range": {"arguments": bounds}})
    return tests


def _model(contract: Contract, contracts: dict[str, Contract]) -> dict:
    key = surrogate_key_column(contract)
    pk = ", ".join(contract.primary_key)
    columns = []
    for column in staging_columns(contract, contracts):
        entry = {key_: column[key_] for key_ in ("name", "description", "data_type")}
        if column["name"] == key:
            tests: list = ["unique", "not_null"]
        elif column["name"] == "_batch_id":
            tests = ["not_null"]
        elif column["group"] in ("keys", "lineage"):
            tests = []
        else:
            tests = _field_tests(contract, contract.field(column["name"]), contracts)
        if tests:
            entry["data_tests"] = tests
        columns.append(entry)
    return {
        "name": staging_model_name(contract),
        "description": (
            f"{contract.description} Staged 1:1 from raw.{contract.name} ({contract.source} system): "
            f"one row per ({pk}), the latest load kept; `{key}` is the one-column key."
        ),
        "data_tests": [{"unique_combination_of_columns": {
            "arguments": {"combination_of_columns": list(contract.primary_key)}}}],
        "columns": columns,
    }


def _md5(text: str) -> str:
    """What generate_surrogate_key gives for non-null columns joined with '-' (lowercase hex md5)."""
    return hashlib.md5(text.encode()).hexdigest()


# Unit test of the staging pattern on one model: the dedupe keeps the latest load and an empty
# optional reference gets a null foreign key (not the hash of a placeholder).
UNIT_TESTS = [
    {
        "name": "stg_crm__customers_keeps_the_latest_load_per_key",
        "description": "Two loads of one customer give one row with the later values; the same id "
                       "in two tenants stays two rows with different keys; the keys are md5 of "
                       "'tenant-id' on every engine; a direct customer (no partner) has a null "
                       "partner_key.",
        "model": "stg_crm__customers",
        "given": [{
            "input": "source('raw', 'customers')",
            "rows": [
                {"tenant_id": "T1", "customer_id": "C1", "customer_name": "Old name", "partner_id": "P1",
                 "_batch_id": "b1", "_source_row": 1, "_loaded_at": "2024-01-01 00:00:00"},
                {"tenant_id": "T1", "customer_id": "C1", "customer_name": "New name", "partner_id": "P1",
                 "_batch_id": "b2", "_source_row": 1, "_loaded_at": "2024-02-01 00:00:00"},
                {"tenant_id": "T2", "customer_id": "C1", "customer_name": "Other tenant", "partner_id": None,
                 "_batch_id": "b1", "_source_row": 2, "_loaded_at": "2024-01-01 00:00:00"},
            ],
        }],
        "expect": {
            "rows": [
                {"customer_key": _md5("T1-C1"), "partner_key": _md5("T1-P1"), "tenant_id": "T1",
                 "customer_id": "C1", "customer_name": "New name", "_batch_id": "b2"},
                {"customer_key": _md5("T2-C1"), "partner_key": None, "tenant_id": "T2",
                 "customer_id": "C1", "customer_name": "Other tenant", "_batch_id": "b1"},
            ],
        },
    },
]


def render_models_yaml(contracts: dict[str, Contract] | None = None, system: str | None = None) -> str:
    """``_<system>__models.yml``; without a system, every system's file as one YAML stream."""
    contracts = contracts or load_contracts()
    if system is None:
        return _stream([render_models_yaml(contracts, s) for s in source_systems(contracts)])
    in_system = [contracts[name] for name in load_order(contracts) if contracts[name].source == system]
    names = {staging_model_name(c) for c in in_system}
    document: dict = {"version": 2, "models": [_model(c, contracts) for c in in_system]}
    unit_tests = [test for test in UNIT_TESTS if test["model"] in names]
    if unit_tests:
        document["unit_tests"] = unit_tests
    return MODELS_HEADER + yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)


def read_models_yaml(contracts: dict[str, Contract] | None = None) -> str:
    """The committed ``_<system>__models.yml`` files as one stream, like render_models_yaml()."""
    systems = source_systems(contracts or load_contracts())
    return _committed_stream([models_yml_path(s) for s in systems])


def staging_models(models_yaml: str) -> list[dict]:
    """Every model entry across the documents of a models YAML stream."""
    return [model for document in yaml.safe_load_all(models_yaml) if document
            for model in document.get("models", [])]


def render_staging_yaml(
    contracts: dict[str, Contract] | None = None, rules: dict[str, FreshnessRule] | None = None
) -> dict[Path, str]:
    """Every generated YAML file of the staging layer and its text."""
    contracts = contracts or load_contracts()
    rules = rules or load_freshness_rules()
    files: dict[Path, str] = {}
    for system in source_systems(contracts):
        files[sources_yml_path(system)] = render_sources_yaml(contracts, rules, system)
        files[models_yml_path(system)] = render_models_yaml(contracts, system)
    return files


def stale_files(contracts: dict[str, Contract] | None = None) -> list[str]:
    """Generated files that are missing, differ from the rendering, or are left over, one line each."""
    contracts = contracts or load_contracts()
    rendered = render_staging_yaml(contracts)
    problems = [
        f"{path.relative_to(REPO_ROOT)} is {'missing' if not path.exists() else 'not what the contracts render'}"
        for path, text in rendered.items()
        if not path.exists() or path.read_text() != text
    ]
    generated = [*STAGING_DIR.rglob("_*__sources.yml"), *STAGING_DIR.rglob("_*__models.yml")]
    problems += [f"{path.relative_to(REPO_ROOT)} is not rendered from any contract; remove it"
                 for path in sorted(generated) if path not in rendered]
    return problems


# The line length of the project's sqlfluff rules (dbt_project/.sqlfluff).
SQL_LINE_LENGTH = 100


def _select_line(column: dict) -> str:
    """One select target; a computed column too long for one line puts its alias below."""
    if column["sql"] is None:
        return f"        {column['name']},"
    line = f"        {column['sql']} as {column['name']},"
    if len(line) <= SQL_LINE_LENGTH:
        return line
    return f"        {column['sql']}\n            as {column['name']},"


def render_staging_sql(contract: Contract, contracts: dict[str, Contract] | None = None) -> str:
    """``stg_<source>__<entity>.sql``, lint-clean: written for a new contract, and the committed
    file must stay equal to it (tests/dbt/test_staging_yaml.py)."""
    contracts = contracts or load_contracts()
    lines = []
    columns = staging_columns(contract, contracts)
    for group in COLUMN_GROUPS:
        in_group = [c for c in columns if c["group"] == group]
        if not in_group:
            continue
        if lines:
            lines.append("")
        lines.append(f"        ---------- {group}")
        lines += [_select_line(c) for c in in_group]
    lines[-1] = lines[-1].rstrip(",")
    key_list = _key_args(list(contract.primary_key))
    return (
        "with\n\n"
        "source as (\n\n"
        f"    select * from {{{{ source('raw', '{contract.name}') }}}}\n\n"
        "),\n\n"
        "deduplicated as (\n\n"
        f"    {{{{ deduplicate_latest('source', {key_list}) }}}}\n\n"
        "),\n\n"
        "renamed as (\n\n"
        "    select\n\n"
        + "\n".join(lines)
        + "\n\n    from deduplicated\n\n"
        ")\n\n"
        "select * from renamed\n"
    )


def staging_sql_path(contract: Contract) -> Path:
    return staging_folder(contract.source) / f"{staging_model_name(contract)}.sql"


def write_dbt_yaml(*, scaffold_missing_models: bool = True) -> list[Path]:
    """Write every system's two YAML files; create the SQL of models that do not exist yet."""
    contracts = load_contracts()
    written = []
    for path, text in render_staging_yaml(contracts).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    if scaffold_missing_models:
        for contract in contracts.values():
            path = staging_sql_path(contract)
            if not path.exists():
                path.write_text(render_staging_sql(contract, contracts))
                written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_dbt_yaml():
        print(f"wrote {written_path.relative_to(REPO_ROOT)}")
