"""The whole Definitions object: every contract has its asset, wired as the contracts say."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from foundation import settings
from foundation.settings import REPO_ROOT
from models import LINEAGE_COLUMNS, load_contracts
from orchestration.definitions import DAILY_FRESHNESS, build_definitions
from orchestration.defs import ml as ml_defs
from orchestration.defs.ingestion import raw_asset_key
from orchestration.defs.warehouse import warehouse_models
from orchestration.lib.pools import WAREHOUSE_WRITER_POOL
from orchestration.resources import LOGS_ENV, LandingResource, LogsResource, WarehouseResource

CONTRACTS = load_contracts()
defs = build_definitions()


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(defs)


def test_importing_the_definitions_prepares_nothing() -> None:
    """The dbt project (and its manifest) is prepared when Dagster loads the definitions,
    not when a module imports them."""
    code = (
        "import orchestration.definitions as entry\n"
        "from orchestration.lib.dbt import dbt_project\n"
        "from orchestration.defs.warehouse import warehouse_models\n"
        "print(dbt_project.cache_info().misses, warehouse_models.cache_info().misses,\n"
        "      entry.build_definitions.cache_info().misses)\n"
        "entry.defs()\n"
        "print(dbt_project.cache_info().misses, warehouse_models.cache_info().misses)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:2] == ["0 0 0", "1 1"]


@pytest.mark.parametrize("entity", sorted(CONTRACTS))
def test_every_contract_has_a_raw_asset(entity: str) -> None:
    contract = CONTRACTS[entity]
    graph = defs.resolve_asset_graph()
    node = graph.get(raw_asset_key(entity))
    assert node.group_name == contract.source
    assert node.description == contract.description
    assert "duckdb" in node.kinds
    expected_deps = {
        raw_asset_key(fk.entity) for fk in contract.foreign_keys if fk.entity != entity
    }
    assert set(node.parent_keys) == expected_deps
    schema = node.metadata["dagster/column_schema"]
    assert [c.name for c in schema.columns] == [*contract.field_names, *LINEAGE_COLUMNS]


def test_assets_are_exactly_the_contracts() -> None:
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    raw_keys = {k for k in keys if k.path[0] == "raw"}
    assert raw_keys == {raw_asset_key(e) for e in CONTRACTS}


def test_every_raw_asset_writes_through_the_warehouse_pool() -> None:
    for entity in CONTRACTS:
        assets_def = defs.resolve_assets_def(raw_asset_key(entity))
        assert assets_def.op.pool == WAREHOUSE_WRITER_POOL
        assert not assets_def.can_subset  # a source loads in one atomic batch


def test_one_op_per_source_system() -> None:
    ops = {
        defs.resolve_assets_def(raw_asset_key(e)).op.name: c.source for e, c in CONTRACTS.items()
    }
    assert sorted(ops) == sorted(f"load_{s}" for s in set(ops.values()))


def test_sensor_and_schedule_exist() -> None:
    sensor = defs.resolve_sensor_def("landing_files")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_sensor_def("run_failure_log").default_status == dg.DefaultSensorStatus.RUNNING
    schedule = defs.resolve_schedule_def("daily_refresh_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    job = defs.resolve_job_def("daily_refresh")
    raw_keys = {raw_asset_key(e) for e in CONTRACTS}
    daily_ml = {ml_defs.FEATURES_KEY, ml_defs.SCORES_KEY, ml_defs.QUEUE_KEY}
    assert job.asset_layer.selected_asset_keys == raw_keys | set(warehouse_models().keys) | daily_ml
    weekly = defs.resolve_schedule_def("weekly_model_training_mon_0300")
    assert weekly.cron_schedule == "0 3 * * 1"
    assert weekly.default_status == dg.DefaultScheduleStatus.RUNNING
    assert defs.resolve_job_def("weekly_model_training").asset_layer.selected_asset_keys == {
        ml_defs.FEATURES_KEY, ml_defs.MODEL_KEY}


def test_loading_definitions_emits_no_warnings() -> None:
    """``dagster dev`` shows definition warnings to every user: keep there being none."""
    code = (
        "import warnings\n"
        "warnings.simplefilter('always')\n"
        # dagster-dbt's sqlglot extra imports sqlglotrs, which announces its own deprecation
        # at import: a third-party notice, not a definition warning.
        "warnings.filterwarnings('ignore', message='sqlglotrs is deprecated')\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    from orchestration.definitions import build_definitions\n"
        "    build_definitions().get_repository_def().load_all_definitions()\n"
        "print('\\n'.join(f'{w.category.__name__}: {w.message}' for w in caught))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_dbt_models_are_expected_fresh_after_the_nightly_refresh() -> None:
    graph = defs.resolve_asset_graph()
    for key in warehouse_models().keys:
        assert graph.get(key).freshness_policy == DAILY_FRESHNESS, key


# Hand-copied from models/freshness.yml: (warn_after_hours, error_after_hours) per source.
SOURCE_WINDOWS = {"billing": (30, 48), "crm": (30, 48), "finance": (30, 48), "partners": (192, 336)}


@pytest.mark.parametrize("entity", sorted(CONTRACTS))
def test_raw_tables_take_their_sources_cadence(entity: str) -> None:
    source = CONTRACTS[entity].source
    warn, error = SOURCE_WINDOWS.get(source, (30, 48))
    policy = defs.resolve_asset_graph().get(raw_asset_key(entity)).freshness_policy
    assert policy == dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=error), warn_window=timedelta(hours=warn)
    )


def test_load_and_dbt_ops_retry_transient_errors_with_backoff() -> None:
    ops = [defs.resolve_assets_def(raw_asset_key(e)).op for e in CONTRACTS] + [warehouse_models().op]
    for op in ops:
        policy = op.retry_policy
        assert policy is not None, op.name
        assert policy.max_retries == 3 and policy.delay and policy.delay > 0, op.name
        assert policy.backoff == dg.Backoff.EXPONENTIAL, op.name
        assert policy.jitter == dg.Jitter.PLUS_MINUS, op.name


def test_resources_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.WAREHOUSE_ENV, str(tmp_path / "w.duckdb"))
    monkeypatch.setenv(settings.LANDING_ENV, str(tmp_path / "landing"))
    assert WarehouseResource.from_settings().get_warehouse().path == tmp_path / "w.duckdb"
    assert LandingResource.from_settings().get_path() == tmp_path / "landing"
    monkeypatch.delenv(settings.WAREHOUSE_ENV)
    assert WarehouseResource.from_settings().path == str(settings.DEFAULT_WAREHOUSE)
    monkeypatch.setenv(LOGS_ENV, str(tmp_path / "logs"))
    assert LogsResource.from_settings().get_path() == tmp_path / "logs"
    monkeypatch.delenv(LOGS_ENV)
    assert LogsResource.from_settings().get_path() == settings.REPO_ROOT / "data" / "logs"
