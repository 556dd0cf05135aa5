"""``dbt build`` of the staging layer on a generated company: green, complete, keyed, traceable."""

from __future__ import annotations

import json

import pytest
from dbt_runner import run_dbt

from models import load_contracts
from models.dbt_sources import (
    foreign_key_columns,
    read_models_yaml,
    staging_model_name,
    staging_models,
    surrogate_key_column,
)
from tests.dbt.conftest import BuiltWarehouse

CONTRACTS = load_contracts()


def test_build_succeeds_with_every_node_passing_and_no_warnings(built: BuiltWarehouse) -> None:
    assert built.build.result.success, built.build.result.exception
    statuses = {str(r.status) for r in built.build.node_results}
    assert statuses <= {"success", "pass"}, statuses
    kinds = {r.node.resource_type for r in built.build.node_results}
    assert {"model", "test", "unit_test"} <= {str(k) for k in kinds}
    assert built.build.warnings == []


def test_every_staging_view_has_exactly_the_rows_of_its_raw_table(built: BuiltWarehouse) -> None:
    with built.connect() as con:
        for contract in CONTRACTS.values():
            raw = con.execute(f'select count(*) from raw."{contract.name}"').fetchall()[0][0]
            staged = con.execute(f"select count(*) from staging.{staging_model_name(contract)}").fetchall()[0][0]
            assert staged == raw, contract.name
            assert raw > 0, f"the generated company has no {contract.name}"
        assert con.execute("select count(*) from raw.quarantine").fetchall()[0][0] > 0, "no dirty rows loaded"


def test_staging_views_are_views_in_the_staging_schema(built: BuiltWarehouse) -> None:
    with built.connect() as con:
        views = {r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'staging' and table_type = 'VIEW'").fetchall()}
    assert views == {staging_model_name(c) for c in CONTRACTS.values()}


def test_view_columns_are_the_documented_columns_in_order(built: BuiltWarehouse) -> None:
    documented = {m["name"]: [c["name"] for c in m["columns"]]
                  for m in staging_models(read_models_yaml())}
    with built.connect() as con:
        for model, columns in documented.items():
            actual = [r[0] for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'staging' and table_name = ? order by ordinal_position", [model]).fetchall()]
            assert actual == columns, model


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_surrogate_key_is_unique_and_never_null(built: BuiltWarehouse, name: str) -> None:
    contract = CONTRACTS[name]
    key = surrogate_key_column(contract)
    with built.connect() as con:
        rows, distinct, nulls = con.execute(
            f"select count(*), count(distinct {key}), count(*) - count({key}) "
            f"from staging.{staging_model_name(contract)}").fetchall()[0]
    assert rows == distinct and nulls == 0


def test_joining_on_a_foreign_key_column_equals_joining_on_tenant_and_id(built: BuiltWarehouse) -> None:
    checked = 0
    with built.connect() as con:
        for contract in CONTRACTS.values():
            for field_name, key_column in foreign_key_columns(contract, CONTRACTS).items():
                parent = CONTRACTS[contract.field(field_name).references]
                child_model, parent_model = staging_model_name(contract), staging_model_name(parent)
                parent_key = surrogate_key_column(parent)
                on_key, on_ids, nulls_agree = con.execute(f"""
                    select
                        (select count(*) from staging.{child_model} c
                         join staging.{parent_model} p on c.{key_column} = p.{parent_key}),
                        (select count(*) from staging.{child_model} c
                         join staging.{parent_model} p
                           on c.tenant_id = p.tenant_id and c.{field_name} = p.{parent.key_field}),
                        (select count(*) = 0 from staging.{child_model}
                         where ({key_column} is null) <> ({field_name} is null))
                """).fetchall()[0]
                assert on_key == on_ids and nulls_agree, f"{contract.name}.{field_name}"
                checked += 1
    assert checked > 40


def test_every_staged_row_traces_to_a_load_batch(built: BuiltWarehouse) -> None:
    with built.connect() as con:
        batches = {r[0] for r in con.execute("select batch_id from raw.load_audit").fetchall()}
        for contract in CONTRACTS.values():
            used = {r[0] for r in con.execute(
                f"select distinct _batch_id from staging.{staging_model_name(contract)}").fetchall()}
            assert used and used <= batches, contract.name


def test_docs_generate_writes_a_catalog_of_the_staging_views(built: BuiltWarehouse) -> None:
    docs = run_dbt(["docs", "generate"], built.path, built.work)
    assert docs.result.success, docs.result.exception
    assert docs.warnings == []
    catalog = json.loads((built.work / "target" / "catalog.json").read_text())
    staged = {n["metadata"]["name"] for n in catalog["nodes"].values() if n["metadata"]["schema"] == "staging"}
    assert staged == {staging_model_name(c) for c in CONTRACTS.values()}
    assert len(catalog["sources"]) == len(CONTRACTS)
