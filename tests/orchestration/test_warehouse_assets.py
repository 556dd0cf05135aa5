"""dbt models as Dagster assets: lineage from the raw tables, tests as checks, builds publish."""

from pathlib import Path

import dagster as dg
import pytest

from foundation.warehouse import Warehouse
from generator import generate
from models import load_contracts
from models.dbt_sources import staging_model_name
from orchestration.definitions import build_definitions
from orchestration.defs.ingestion import RAW_TABLES, raw_asset_key
from orchestration.defs.ingestion import assets as ingestion_assets
from orchestration.defs.schedules import daily_refresh_job
from orchestration.defs.warehouse import warehouse_models
from orchestration.lib.pools import WAREHOUSE_WRITER_POOL
from orchestration.resources import LandingResource, WarehouseResource

defs = build_definitions()

CONTRACTS = load_contracts()


@pytest.mark.parametrize("entity", sorted(CONTRACTS))
def test_each_staging_model_reads_its_raw_asset(entity: str) -> None:
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey(["staging", staging_model_name(CONTRACTS[entity])]))
    assert raw_asset_key(entity) in node.parent_keys
    assert node.group_name == "staging"


def test_dbt_tests_are_asset_checks_and_builds_use_the_writer_pool() -> None:
    assert warehouse_models().op.pool == WAREHOUSE_WRITER_POOL
    checks = {c.asset_key for c in warehouse_models().check_specs}
    staging_keys = {dg.AssetKey(["staging", staging_model_name(c)]) for c in CONTRACTS.values()}
    assert staging_keys <= checks  # every staging model has at least one dbt test as a check


def test_groups_follow_the_model_folder() -> None:
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in warehouse_models().keys}
    assert "staging" in groups and groups <= {"staging", "intermediate", "warehouse"} | {
        g for g in groups if g.startswith("marts_")
    }
    assert graph.get(dg.AssetKey(["marts", "dim_date"])).group_name == "marts_core"


def test_the_nightly_job_builds_everything_downstream_of_the_raw_tables() -> None:
    graph = defs.resolve_asset_graph()
    selected = daily_refresh_job.selection.resolve(graph)
    assert {raw_asset_key(e) for e in CONTRACTS} <= selected
    assert set(warehouse_models().keys) <= selected


def test_load_then_build_staging_publishes_a_snapshot_with_the_views(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    summary = generate(landing, tmp_path / "truth", tenants=2, scale=0.05, seed=3)
    path = tmp_path / "wh" / "opsintel.duckdb"
    result = dg.materialize(
        [*ingestion_assets, warehouse_models()],
        selection=RAW_TABLES | dg.AssetSelection.groups("staging"),
        resources={
            "warehouse": WarehouseResource(path=str(path)),
            "landing": LandingResource(path=str(landing)),
            "dbt": defs.resources["dbt"],
        },
    )
    assert result.success
    # dbt tests all pass; raw tables' quality warnings (billing errors the sample injects on
    # purpose) are tested in test_quality_checks.py.
    dbt_checks = [c for c in result.get_asset_check_evaluations() if c.asset_key.path[0] != "raw"]
    assert dbt_checks and all(c.passed for c in dbt_checks)
    with Warehouse(path).reader() as con:  # the published snapshot, not the working file
        for entity, rows in summary.rows.items():
            view = staging_model_name(CONTRACTS[entity])
            assert con.execute(f"select count(*) from staging.{view}").fetchall() == [(rows,)]
