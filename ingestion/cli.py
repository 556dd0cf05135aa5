"""The ``opsintel`` command line.

Exit codes scripts can rely on:
  0  success
  1  the work ran but something failed (a source did not load, no warehouse yet, ...)
  2  bad usage or arguments (unknown option, invalid value)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from dashboards.users_cli import users as users_commands
from ingestion import settings
from ml.cli import ml as ml_commands

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _progress(line: str) -> None:
    click.echo(f"  {line}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="opsintel")
def cli() -> None:
    """opsintel: operational intelligence for SaaS and service-led companies.

    Typical flow: `opsintel generate` (sample exports) -> `opsintel load` (into the
    warehouse) -> `opsintel status`. Paths default to data/ under the repository and follow
    $OPSINTEL_LANDING, $OPSINTEL_WAREHOUSE and $OPSINTEL_GROUND_TRUTH.
    """


@cli.command()
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
    from ingestion.generator import generate as run_generator

    out = out or settings.landing_path()
    truth_out = truth_out or settings.ground_truth_path()
    click.echo(f"Generating {tenants} tenants at scale {scale:g} (seed {seed}) into {out}", err=True)
    started = time.perf_counter()
    try:
        summary = run_generator(out, truth_out, tenants=tenants, scale=scale, seed=seed,
                                dirty_rate=dirty_rate, as_of=as_of.date(), progress=_progress)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        click.echo(f"error: cannot write {exc.filename or out}: {exc.strerror}", err=True)
        sys.exit(EXIT_FAILED)
    total = sum(summary.rows.values())
    click.echo(f"Wrote {total:,} rows in {len(summary.files)} files to {out} "
               f"in {time.perf_counter() - started:.1f} s; ground truth in {truth_out}")


@cli.command()
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path), default=None, help="Landing folder [default: $OPSINTEL_LANDING or data/landing].")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None, help="DuckDB file [default: $OPSINTEL_WAREHOUSE or data/warehouse/opsintel.duckdb].")
@click.option("--source", "sources", multiple=True, help="Load only this source system (repeatable).")
def load(landing: Path | None, warehouse: Path | None, sources: tuple[str, ...]) -> None:
    """Validate export files against the contracts and load them into the warehouse.

    Bad rows go to raw.quarantine with the reason; a source whose file cannot be read stops
    (nothing of it is kept) while the other sources still load. Exits 1 if any source failed.
    """
    from ingestion.loader import load_landing
    from ingestion.warehouse import Warehouse, WarehouseError
    from models import SOURCE_SYSTEMS

    landing = landing or settings.landing_path()
    warehouse = warehouse or settings.warehouse_path()
    for source in sources:
        if source not in SOURCE_SYSTEMS:
            raise click.BadParameter(f"{source!r}; choose from {', '.join(SOURCE_SYSTEMS)}", param_hint="--source")
    if not landing.is_dir():
        click.echo(f"error: landing folder {landing} does not exist; run `opsintel generate` or point --landing at your exports", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"Loading {landing} into {warehouse}", err=True)
    started = time.perf_counter()
    try:
        results = load_landing(Warehouse(warehouse), landing, sources or None, progress=_progress)
    except WarehouseError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"{'source':<12} {'outcome':<9} {'read':>11} {'loaded':>11} {'quarantined':>12}")
    for r in results:
        click.echo(f"{r.source:<12} {r.outcome:<9} {r.rows_read:>11,} {r.rows_loaded:>11,} {r.rows_quarantined:>12,}")
    failed = [r for r in results if r.outcome == "failed"]
    for r in failed:
        click.echo(f"error: {r.source}: {r.message}", err=True)
    click.echo(f"Done in {time.perf_counter() - started:.1f} s.", err=True)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@cli.command()
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None, help="DuckDB file [default: $OPSINTEL_WAREHOUSE or data/warehouse/opsintel.duckdb].")
def status(warehouse: Path | None) -> None:
    """Show what the warehouse holds: last load per source, rows and quarantine per table."""
    from ingestion.status import render_status
    from ingestion.warehouse import Warehouse, WarehouseError

    try:
        click.echo(render_status(Warehouse(warehouse or settings.warehouse_path())))
    except WarehouseError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None, help="DuckDB file [default: $OPSINTEL_WAREHOUSE or data/warehouse/opsintel.duckdb].")
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
    from ingestion.dbt_build import DbtFailed, dev_warehouse_path, run_dbt
    from ingestion.warehouse import WarehouseError

    if fresh and not dev:
        raise click.UsageError("--fresh applies to the private copy only; add --dev")
    warehouse = warehouse or settings.warehouse_path()
    if dev:
        click.echo(f"Private warehouse: {dev_warehouse_path(warehouse)}", err=True)
    try:
        outcome = run_dbt(dbt_args, warehouse, dev=dev, fresh=fresh, progress=_progress)
    except DbtFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.returncode)
    except WarehouseError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    if outcome.published is not None:
        click.echo(f"Published {outcome.warehouse} as {outcome.published}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--dagster-port", type=int, default=3000, show_default=True)
@click.option("--dashboards-port", type=int, default=8501, show_default=True)
def serve(host: str, dagster_port: int, dashboards_port: int) -> None:
    """Start the dashboards and the Dagster UI; Ctrl-C stops everything."""
    from ingestion.launcher import serve as run_servers

    sys.exit(run_servers(dagster_port=dagster_port, streamlit_port=dashboards_port, host=host))


def _kpi_list() -> str:
    from ingestion.explain import KPIS

    return ", ".join(KPIS)


@cli.command(help=f"""Show a KPI figure, the rows behind it and the load batches they came from.

KPI is one of: {_kpi_list()}.

Prints the figure (from the KPI mart), the fact rows behind it with a check that they add
up to it, the load batches of those rows (raw.load_audit) and, with --customer, the raw
source rows (file and row number). Reads the published warehouse snapshot. --format csv
writes the rows only (the figure and the check line go to stderr).
""")
@click.argument("kpi")
@click.option("--tenant", required=True, help="Tenant id, e.g. TEN-001.")
@click.option("--month", required=True, help="Month of the figure, YYYY-MM.")
@click.option("--customer", default=None, help="Only this customer's rows, with its raw source rows.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None, help="DuckDB file [default: $OPSINTEL_WAREHOUSE or data/warehouse/opsintel.duckdb].")
def explain(kpi: str, tenant: str, month: str, customer: str | None, output_format: str,
            warehouse: Path | None) -> None:
    import csv
    import json
    from datetime import datetime

    from ingestion.explain import (
        KPIS,
        ExplainError,
        check_line,
        headline,
        render_table,
        to_json_dict,
    )
    from ingestion.explain import explain as explain_kpi
    from ingestion.warehouse import Warehouse, WarehouseError

    if kpi not in KPIS:
        click.echo(f"error: unknown KPI {kpi!r}; supported: {', '.join(KPIS)}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        month_start = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        click.echo(f"error: --month {month!r} is not a month like 2026-10", err=True)
        sys.exit(EXIT_USAGE)
    try:
        con = Warehouse(warehouse or settings.warehouse_path()).reader()
        try:
            result = explain_kpi(con, kpi, tenant, month_start, customer)
        finally:
            con.close()
    except (WarehouseError, ExplainError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    if output_format == "json":
        click.echo(json.dumps(to_json_dict(result), indent=2))
    elif output_format == "csv":
        click.echo(headline(result), err=True)
        click.echo(check_line(result), err=True)
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        click.echo(render_table(result))
    sys.exit(EXIT_OK if result.adds_up else EXIT_FAILED)


@cli.group()
def contracts() -> None:
    """Inspect the entity contracts and keep the dbt sources in step with them."""


@contracts.command("list")
def contracts_list() -> None:
    """List every entity with its source system, key and field count."""
    from models import load_contracts, load_order

    all_contracts = load_contracts()
    for name in load_order():
        c = all_contracts[name]
        click.echo(f"{c.source:<12} {name:<26} key=({', '.join(c.primary_key)}) fields={len(c.fields)}")


@contracts.command("dbt")
@click.option("--check", is_flag=True, help="Only check: exit 1 if the dbt YAML differs from the contracts.")
def contracts_dbt(check: bool) -> None:
    """Write the dbt sources and staging models YAML from the contracts.

    Also creates the staging model SQL of a new contract (existing models are never
    overwritten).
    """
    from models import load_contracts
    from models.dbt_sources import (
        MODELS_YML,
        SOURCES_YML,
        disagreements,
        render_models_yaml,
        write_dbt_yaml,
    )

    if check:
        current = SOURCES_YML.read_text() if SOURCES_YML.exists() else ""
        problems = disagreements(load_contracts(), current)
        if not MODELS_YML.exists() or MODELS_YML.read_text() != render_models_yaml():
            problems.append(f"{MODELS_YML.name} is not what the contracts render")
        for problem in problems:
            click.echo(f"differs: {problem}", err=True)
        if problems:
            click.echo("the dbt YAML disagrees with the contracts; run `opsintel contracts dbt`", err=True)
            sys.exit(EXIT_FAILED)
        click.echo("dbt sources and staging models agree with the contracts")
        return
    for path in write_dbt_yaml():
        click.echo(f"wrote {path}")


# Command groups that live beside the code they drive.
cli.add_command(ml_commands)
cli.add_command(users_commands)


def main() -> None:
    cli(prog_name="opsintel")


if __name__ == "__main__":
    main()
