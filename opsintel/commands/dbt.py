"""``opsintel dbt``: dbt commands through the writer lock, or into a private copy."""

from __future__ import annotations

from pathlib import Path

import click

from foundation import settings
from opsintel.console import WAREHOUSE_OPTION, fail, progress


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@WAREHOUSE_OPTION
@click.option("--dev", is_flag=True, help="Build a private copy, dev/<user>.duckdb beside the warehouse, instead.")
@click.option("--fresh", is_flag=True, help="With --dev: start the private copy again from the published warehouse.")
@click.argument("dbt_args", nargs=-1, required=True, type=click.UNPROCESSED)
def dbt(warehouse: Path | None, dev: bool, fresh: bool, dbt_args: tuple[str, ...]) -> None:
    """Run a dbt command (build, run, test, seed, snapshot, ...) on the warehouse.

    Writing commands take the writer lock and build a scratch copy that is published when dbt
    succeeds, so the dashboards and `opsintel ml` see the new models; a failed command changes
    nothing. Read-only commands (parse, compile, ls, show, docs, debug, source freshness) run
    directly. opsintel's options go before the dbt command: `opsintel dbt --dev build -s +mart`.
    """
    from foundation.warehouse import WarehouseError
    from opsintel.dbt_build import DbtFailed, dev_warehouse_path, run_dbt

    if fresh and not dev:
        raise click.UsageError("--fresh applies to the private copy only; add --dev")
    warehouse = warehouse or settings.warehouse_path()
    if dev:
        click.echo(f"Private warehouse: {dev_warehouse_path(warehouse)}", err=True)
    try:
        outcome = run_dbt(dbt_args, warehouse, dev=dev, fresh=fresh, progress=progress)
    except DbtFailed as exc:
        fail(f"{exc}", exc.returncode)
    except WarehouseError as exc:
        fail(f"{exc}")
    if outcome.published is not None:
        click.echo(f"Published {outcome.warehouse} as {outcome.published}")
