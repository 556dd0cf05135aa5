"""``opsintel status``: what the warehouse holds, per source and table."""

from __future__ import annotations

from pathlib import Path

import click

from foundation import settings
from opsintel.console import WAREHOUSE_OPTION, fail


@click.command()
@WAREHOUSE_OPTION
def status(warehouse: Path | None) -> None:
    """Show what the warehouse holds: last load per source, rows and quarantine per table."""
    from foundation.warehouse import Warehouse, WarehouseError
    from reporting.status import render_status

    try:
        click.echo(render_status(Warehouse(warehouse or settings.warehouse_path())))
    except WarehouseError as exc:
        fail(f"{exc}")
