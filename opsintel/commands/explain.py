"""``opsintel explain``: a KPI figure, the rows behind it and the batches they came from."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from foundation import settings
from opsintel.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE, WAREHOUSE_OPTION, fail


def _kpi_list() -> str:
    from reporting.explain import KPIS

    return ", ".join(KPIS)


@click.command(help=f"""Show a KPI figure, the rows behind it and the load batches they came from.

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
@WAREHOUSE_OPTION
def explain(kpi: str, tenant: str, month: str, customer: str | None, output_format: str,
            warehouse: Path | None) -> None:
    import csv
    import json
    from datetime import datetime

    from foundation.warehouse import Warehouse, WarehouseError
    from reporting.explain import (
        KPIS,
        ExplainError,
        check_line,
        headline,
        render_table,
        to_json_dict,
    )
    from reporting.explain import explain as explain_kpi

    if kpi not in KPIS:
        fail(f"unknown KPI {kpi!r}; supported: {', '.join(KPIS)}", EXIT_USAGE)
    try:
        month_start = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        fail(f"--month {month!r} is not a month like 2026-10", EXIT_USAGE)
    try:
        con = Warehouse(warehouse or settings.warehouse_path()).reader()
        try:
            result = explain_kpi(con, kpi, tenant, month_start, customer)
        finally:
            con.close()
    except (WarehouseError, ExplainError) as exc:
        fail(f"{exc}")
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
