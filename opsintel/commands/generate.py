"""``opsintel generate``: write the sample company as source-system exports."""

from __future__ import annotations

import time
from pathlib import Path

import click

from foundation import settings
from opsintel.console import EXIT_USAGE, fail, progress


@click.command()
@click.option("--tenants", type=click.IntRange(min=1), default=10, show_default=True, help="Number of tenants (operating companies).")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="Scale factor: SF=1 is ~1,000 customers and ~100,000 usage events.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed; the same seed writes the same bytes.")
@click.option("--dirty", "dirty_rate", type=click.FloatRange(0, 0.5), default=0.0, show_default=True, help="Share of extra bad rows mixed into each file to exercise quarantine.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Landing folder to write the exports to [default: $OPSINTEL_LANDING or data/landing].")
@click.option("--truth-out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Folder for the ground-truth labels [default: $OPSINTEL_GROUND_TRUTH or data/ground_truth].")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default="2026-10-31", show_default=True, help="Export date: nothing after it is written.")
def generate(tenants: int, scale: float, seed: int, dirty_rate: float, out: Path | None,
             truth_out: Path | None, as_of) -> None:
    """Write a realistic multi-tenant sample company as source-system exports."""
    from generator import generate as run_generator

    out = out or settings.landing_path()
    truth_out = truth_out or settings.ground_truth_path()
    click.echo(f"Generating {tenants} tenants at scale {scale:g} (seed {seed}) into {out}", err=True)
    started = time.perf_counter()
    try:
        summary = run_generator(out, truth_out, tenants=tenants, scale=scale, seed=seed,
                                dirty_rate=dirty_rate, as_of=as_of.date(), progress=progress)
    except ValueError as exc:
        fail(f"{exc}", EXIT_USAGE)
    except OSError as exc:
        fail(f"cannot write {exc.filename or out}: {exc.strerror}")
    total = sum(summary.rows.values())
    click.echo(f"Wrote {total:,} rows in {len(summary.files)} files to {out} "
               f"in {time.perf_counter() - started:.1f} s; ground truth in {truth_out}")
