"""Transient errors are retried; data problems stop at once, with the reason."""

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

import orchestration.defs.ingestion as ingestion_defs
from foundation.warehouse import WarehouseError
from models import contracts_by_source
from orchestration.defs.ingestion import build_source_assets
from orchestration.defs.warehouse import build_failure
from orchestration.resources import LandingResource, WarehouseResource

TENANTS = """tenant_id,tenant_name,tenant_type,reporting_currency,country_code,fiscal_year_start_month,created_at
t1,Acme Ops,operating_company,USD,US,1,2024-01-01 00:00:00
"""
# The policy of the real ops, without the waiting.
NO_WAIT = dg.RetryPolicy(max_retries=2)


def _materialize(assets_def: dg.AssetsDefinition, landing: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [assets_def],
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "landing": LandingResource(path=str(landing)),
        },
        raise_on_error=False,
    )


def _event_types(result: dg.ExecuteInProcessResult) -> list[dg.DagsterEventType]:
    return [e.event_type for e in result.all_events]


def test_a_transient_error_is_retried_and_the_load_then_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "landing" / "finance").mkdir(parents=True)
    (tmp_path / "landing" / "finance" / "tenants.csv").write_text(TENANTS)
    real_load = ingestion_defs.load_source
    calls: list[str] = []

    def flaky_load(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        if len(calls) == 1:
            raise WarehouseError("another writer has held opsintel.duckdb.lock for over 3600 s; giving up")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(ingestion_defs, "load_source", flaky_load)
    finance = build_source_assets("finance", contracts_by_source()["finance"], retry_policy=NO_WAIT)

    result = _materialize(finance, tmp_path / "landing", tmp_path / "wh" / "w.duckdb")

    assert result.success
    assert calls == ["finance", "finance"]
    assert _event_types(result).count(dg.DagsterEventType.STEP_UP_FOR_RETRY) == 1
    tenants = next(
        e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "tenants"
    )
    assert tenants.materialization.metadata["rows_loaded"].value == 1


def test_a_data_problem_is_not_retried(tmp_path: Path) -> None:
    (tmp_path / "landing" / "support").mkdir(parents=True)
    (tmp_path / "landing" / "support" / "support_tickets.csv").write_text("foo,bar\n1,2\n")
    support = build_source_assets("support", contracts_by_source()["support"], retry_policy=NO_WAIT)

    result = _materialize(support, tmp_path / "landing", tmp_path / "wh" / "w.duckdb")

    types = _event_types(result)
    assert not result.success
    assert types.count(dg.DagsterEventType.STEP_FAILURE) == 1
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in types


def test_a_programming_error_is_not_retried_and_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_load(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("currency")

    monkeypatch.setattr(ingestion_defs, "load_source", broken_load)
    finance = build_source_assets("finance", contracts_by_source()["finance"], retry_policy=NO_WAIT)

    result = _materialize(finance, tmp_path / "landing", tmp_path / "wh" / "w.duckdb")

    types = _event_types(result)
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in types
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_failure_data.user_failure_data.description == "load_finance: KeyError: 'currency'"


class _FinishedDbt:
    """What build_failure reads of a finished dbt invocation: its run results and error."""

    def __init__(self, results: list[dict[str, Any]] | None) -> None:
        self.results = results

    def get_artifact(self, name: str) -> dict[str, Any]:
        assert name == "run_results.json"
        if self.results is None:
            raise FileNotFoundError(name)
        return {"results": self.results}

    def get_error(self) -> Exception:
        return RuntimeError("dbt exited with code 2")


def test_failed_dbt_nodes_are_a_data_problem_named_in_one_line() -> None:
    results = [
        {"unique_id": "model.opsintel.stg_crm__customers", "status": "success", "message": "OK"},
        {"unique_id": "model.opsintel.fct_mrr", "status": "error",
         "message": "Binder Error: column x not found\nLINE 3: select x"},
        {"unique_id": "test.opsintel.unique_fct_mrr_key", "status": "fail", "message": "Got 2 results"},
        {"unique_id": "model.opsintel.kpi_retention", "status": "skipped", "message": None},
    ]

    error = build_failure(_FinishedDbt(results))

    assert isinstance(error, dg.Failure) and not error.allow_retries
    assert error.description == (
        "dbt build: 2 of 4 nodes failed: model.opsintel.fct_mrr (error: Binder Error: column x "
        "not found); test.opsintel.unique_fct_mrr_key (fail: Got 2 results)"
    )


def test_dbt_stopping_before_any_node_ran_is_retried() -> None:
    error = build_failure(_FinishedDbt(None))
    assert not isinstance(error, dg.Failure)
    assert str(error) == "dbt exited with code 2"
