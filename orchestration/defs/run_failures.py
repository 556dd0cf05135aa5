"""A failed run says where and why in one line, in ``<logs>/run_failures.log``.

For example::

    2026-10-31T02:03:12Z daily_refresh run 3f2a9c1e failed at load_billing (raw/products,
    raw/price_book_entries +5 more): billing/invoices.csv: required column 'currency' is missing

(one line in the file). The reason is the ``dg.Failure`` description a step raised, or the
innermost error message of an unexpected exception, without its stack trace (the Dagster UI
keeps that).
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import dagster as dg

from orchestration.resources import LogsResource

RUN_FAILURES_LOG = "run_failures.log"
# Assets named per failed step; a dbt step materializes hundreds.
SHOWN_ASSETS = 2
# Jobs Dagster makes up for an ad-hoc asset selection: the UI's Materialize and
# `dagster asset materialize`, and `dg.materialize` in Python.
ADHOC_JOBS = ("__ASSET_JOB", "__ephemeral_asset_job__")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _assets_label(keys: Sequence[dg.AssetKey]) -> str:
    shown = ", ".join(key.to_user_string() for key in keys[:SHOWN_ASSETS])
    more = f" +{len(keys) - SHOWN_ASSETS} more" if len(keys) > SHOWN_ASSETS else ""
    return f" ({shown}{more})" if shown else ""


def failure_line(
    job_name: str,
    run_id: str,
    reason: str,
    step_key: str | None = None,
    asset_keys: Sequence[dg.AssetKey] = (),
    other_failed_steps: Sequence[str] = (),
) -> str:
    """``<job> run <id> failed at <step> (<assets>): <reason>``, always a single line."""
    job = "asset materialization" if job_name in ADHOC_JOBS else job_name
    where = f" at {step_key}{_assets_label(asset_keys)}" if step_key else ""
    also = f" (also failed: {', '.join(other_failed_steps)})" if other_failed_steps else ""
    return _one_line(f"{job} run {run_id[:8]} failed{where}: {reason}{also}")


def step_failure_reason(event: dg.DagsterEvent) -> str:
    """The Failure's description, else the innermost error's first line (no stack trace)."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    if error is None:
        return event.message or "unknown error"
    while error.cause is not None:  # Dagster wraps user errors: the cause is the real one
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name or "unknown error"


def describe_run_failure(
    run: dg.DagsterRun,
    step_failures: Sequence[dg.DagsterEvent],
    run_failure: dg.DagsterEvent,
    assets_by_step: Mapping[str, Sequence[dg.AssetKey]],
) -> str:
    if not step_failures:
        return failure_line(run.job_name, run.run_id, run_failure.message or "run failed")
    first, *others = step_failures
    return failure_line(
        run.job_name,
        run.run_id,
        step_failure_reason(first),
        step_key=first.step_key,
        asset_keys=assets_by_step.get(first.step_key or "", ()),
        other_failed_steps=[e.step_key or "?" for e in others],
    )


def build_run_failure_sensor(
    assets_by_step: Mapping[str, Sequence[dg.AssetKey]],
) -> dg.SensorDefinition:
    """``assets_by_step``: op name -> the asset keys it materializes (from the Definitions)."""

    @dg.run_failure_sensor(
        name="run_failure_log",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Writes one line per failed run (which step and assets, and why) to "
        f"{RUN_FAILURES_LOG} in the logs folder.",
    )
    def run_failure_log(context: dg.RunFailureSensorContext, logs: LogsResource) -> None:
        line = describe_run_failure(
            context.dagster_run,
            context.get_step_failure_events(),
            context.failure_event,
            assets_by_step,
        )
        folder = logs.get_path()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with (folder / RUN_FAILURES_LOG).open("a", encoding="utf-8") as log:
            log.write(f"{stamp} {line}\n")
        context.log.info(line)

    return run_failure_log
