"""A failed run leaves one line saying which step and assets failed, and why."""

import re
from pathlib import Path

import dagster as dg

from orchestration.defs.ingestion import assets as ingestion_assets
from orchestration.defs.ingestion import raw_asset_key
from orchestration.defs.run_failures import (
    RUN_FAILURES_LOG,
    build_run_failure_sensor,
    failure_line,
)
from orchestration.resources import LandingResource, LogsResource, WarehouseResource

BILLING_KEYS = [dg.AssetKey(["raw", name]) for name in ("products", "price_book_entries", "invoices")]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def test_line_names_job_run_step_assets_and_reason() -> None:
    line = failure_line(
        "daily_refresh",
        "abc12345-0000-4000-8000-000000000000",
        "billing/invoices.csv: required column 'currency' is missing",
        step_key="load_billing",
        asset_keys=BILLING_KEYS,
    )
    assert line == (
        "daily_refresh run abc12345 failed at load_billing (raw/products, raw/price_book_entries"
        " +1 more): billing/invoices.csv: required column 'currency' is missing"
    )


def test_line_stays_one_line_and_lists_other_failed_steps() -> None:
    line = failure_line(
        "__ASSET_JOB",
        "ffffeeee1111",
        "dbt build: 1 of 9 nodes failed:\n  model.opsintel.fct_mrr (error: Binder Error)",
        step_key="warehouse_models",
        asset_keys=BILLING_KEYS[:1],
        other_failed_steps=["load_support"],
    )
    assert line == (
        "asset materialization run ffffeeee failed at warehouse_models (raw/products): dbt build:"
        " 1 of 9 nodes failed: model.opsintel.fct_mrr (error: Binder Error)"
        " (also failed: load_support)"
    )


def test_a_run_without_a_failed_step_gives_the_run_message() -> None:
    assert failure_line("daily_refresh", "12345678abcd", "run was canceled") == (
        "daily_refresh run 12345678 failed: run was canceled"
    )


@dg.asset(key=["raw", "boom"])
def broken_asset() -> None:
    raise ValueError("disk says no\nsecond line of detail")


@dg.asset(key=["raw", "data_problem"])
def failing_asset() -> None:
    raise dg.Failure(description="crm/customers.csv: required column 'tenant_id' is missing",
                     allow_retries=False)


def _run_sensor(
    assets: list[dg.AssetsDefinition], logs: Path, resources: dict[str, object] | None = None
) -> tuple[dg.ExecuteInProcessResult, list[str]]:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(assets, instance=instance, resources=resources, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    sensor = build_run_failure_sensor({a.op.name: list(a.keys) for a in assets})
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"logs": LogsResource(path=str(logs))},
    ).for_run_failure()
    sensor(context)
    return result, (logs / RUN_FAILURES_LOG).read_text().splitlines()


def test_a_failed_run_writes_one_line_with_the_failure_description(tmp_path: Path) -> None:
    result, lines = _run_sensor([failing_asset], tmp_path / "logs")

    (line,) = lines
    run_id = result.dagster_run.run_id[:8]
    assert re.fullmatch(
        f"{STAMP} asset materialization run {run_id} failed at raw__data_problem "
        r"\(raw/data_problem\): crm/customers.csv: required column 'tenant_id' is missing",
        line,
    ), line


def test_an_unexpected_error_gives_its_own_first_line_not_dagsters_wrapper(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _run_sensor([broken_asset], logs)
    _, lines = _run_sensor([broken_asset], logs)  # appends

    assert len(lines) == 2
    assert lines[1].endswith("failed at raw__boom (raw/boom): ValueError: disk says no"), lines[1]




def test_a_failed_load_names_its_op_tables_and_the_loaders_message(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "support").mkdir(parents=True)
    (landing / "support" / "support_tickets.csv").write_text("foo,bar\n1,2\n")
    load_support = next(a for a in ingestion_assets if raw_asset_key("support_tickets") in a.keys)

    result, lines = _run_sensor(
        [load_support],
        tmp_path / "logs",
        {
            "warehouse": WarehouseResource(path=str(tmp_path / "wh" / "w.duckdb")),
            "landing": LandingResource(path=str(landing)),
        },
    )

    (line,) = lines
    assert line.split(" ", 1)[1].startswith(
        f"asset materialization run {result.dagster_run.run_id[:8]} failed at load_support "
        "(raw/support_tickets): support/support_tickets.csv: required column 'tenant_id' is "
        "missing (columns found: foo, bar"
    ), line
