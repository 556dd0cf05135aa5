"""dbt models as assets: staging -> intermediate -> marts, dbt tests as asset checks.

dbt sources carry ``meta.dagster.asset_key`` = the raw table's asset key (written from the
contracts), so lineage runs from the ingestion assets through every model.

A build holds the writer lock and writes a scratch copy of the warehouse (in dbt's own
process); only a build that succeeds replaces the working file and publishes a snapshot, so a
failed build changes nothing. Its events are reported once the copy is in place, so Dagster
never shows a materialization the warehouse does not hold.

Sources whose latest data-quality run failed a critical check are left out: the models
downstream of their raw tables keep their last good build while every other source's models
are rebuilt.
"""

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from foundation.warehouse import Warehouse, WarehouseError
from ingestion.quality import blocked_sources
from orchestration.defs.quality import blocked_excludes
from orchestration.lib.dbt import OpsintelDbtTranslator, dbt_project
from orchestration.lib.pools import WAREHOUSE_WRITER_POOL
from orchestration.lib.retries import TRANSIENT_RETRY, retry_transient_only
from orchestration.resources import WarehouseResource

# run_results statuses of nodes that did not work: a model error or a failed test.
FAILED_STATUSES = ("error", "fail", "runtime error")


def _blocked_sources(warehouse: Warehouse) -> dict[str, list[str]]:
    """Failed critical checks per source, from the published snapshot (none before the first)."""
    try:
        con = warehouse.reader()
    except WarehouseError:
        return {}
    try:
        return blocked_sources(con)
    finally:
        con.close()


def _node_summary(result: Mapping[str, Any]) -> str:
    lines = (result.get("message") or "").strip().splitlines()
    return f"{result['unique_id']} ({result['status']}: {lines[0] if lines else 'no message'})"


def build_failure(invocation: DbtCliInvocation) -> Exception:
    """Why a build failed, in one line: failed nodes are data or SQL problems (no retry)."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (OSError, ValueError, KeyError):
        results = []
    failed = [r for r in results if r.get("status") in FAILED_STATUSES]
    if not failed:
        # dbt stopped before running anything (it could not start or open the file): transient.
        return invocation.get_error() or RuntimeError("dbt build failed")
    shown = "; ".join(_node_summary(r) for r in failed[:3])
    more = f"; +{len(failed) - 3} more" if len(failed) > 3 else ""
    return dg.Failure(
        description=f"dbt build: {len(failed)} of {len(results)} nodes failed: {shown}{more}",
        metadata={"failed_nodes": dg.MetadataValue.json([r["unique_id"] for r in failed])},
        allow_retries=False,
    )


@cache
def warehouse_models() -> dg.AssetsDefinition:
    """Every dbt model as an asset (one op, ``warehouse_models``), dbt tests as its checks."""
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=OpsintelDbtTranslator(),
        pool=WAREHOUSE_WRITER_POOL,
        retry_policy=TRANSIENT_RETRY,
    )
    def warehouse_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> Iterator[Any]:
        target = warehouse.get_warehouse()
        with retry_transient_only("warehouse_models"):
            excludes = blocked_excludes(_blocked_sources(target), context.log.warning)
            with target.build_copy() as scratch, warehouse.dbt_environment(scratch):
                invocation = dbt.cli(["build", *excludes], context=context, raise_on_error=False)
                events = list(invocation.stream())
                if not invocation.is_successful():
                    raise build_failure(invocation)
        yield from events

    return warehouse_models


# Every dbt model, resolved when a job runs: selecting by kind needs no manifest at import.
DBT_MODELS = dg.AssetSelection.kind("dbt")
