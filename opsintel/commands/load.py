"""``opsintel load``: validate export files against the contracts and load them."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from foundation import settings
from opsintel.console import EXIT_FAILED, EXIT_OK, WAREHOUSE_OPTION, fail, progress


@click.command()
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path), default=None, help="Landing folder [default: $OPSINTEL_LANDING or data/landing].")
@WAREHOUSE_OPTION
@click.option("--source", "sources", multiple=True, help="Load only this source system (repeatable).")
def load(landing: Path | None, warehouse: Path | None, sources: tuple[str, ...]) -> None:
    """Validate export files against the contracts and load them into the warehouse.

    Bad rows go to raw.quarantine with the reason; a source whose file cannot be read stops
    (nothing of it is kept) while the other sources still load. Exits 1 if any source failed.
    """
    from foundation.warehouse import Warehouse, WarehouseError
    from ingestion.loader import load_landing
    from models import SOURCE_SYSTEMS

    landing = landing or settings.landing_path()
    warehouse = warehouse or settings.warehouse_path()
    for source in sources:
        if source not in SOURCE_SYSTEMS:
            raise click.BadParameter(f"{source!r}; choose from {', '.join(SOURCE_SYSTEMS)}", param_hint="--source")
    if not landing.is_dir():
        fail(f"landing folder {landing} does not exist; run `opsintel generate` or point --landing at your exports")
    click.echo(f"Loading {landing} into {warehouse}", err=True)
    started = time.perf_counter()
    try:
        results = load_landing(Warehouse(warehouse), landing, sources or None, progress=progress)
    except WarehouseError as exc:
        fail(f"{exc}")
    click.echo(f"{'source':<12} {'outcome':<9} {'read':>11} {'loaded':>11} {'quarantined':>12}")
    for r in results:
        click.echo(f"{r.source:<12} {r.outcome:<9} {r.rows_read:>11,} {r.rows_loaded:>11,} {r.rows_quarantined:>12,}")
    failed = [r for r in results if r.outcome == "failed"]
    for r in failed:
        click.echo(f"error: {r.source}: {r.message}", err=True)
    click.echo(f"Done in {time.perf_counter() - started:.1f} s.", err=True)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)
