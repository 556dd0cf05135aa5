"""``opsintel serve``: the dashboards and the Dagster UI, supervised together."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--dagster-port", type=int, default=3000, show_default=True)
@click.option("--dashboards-port", type=int, default=8501, show_default=True)
def serve(host: str, dagster_port: int, dashboards_port: int) -> None:
    """Start the dashboards and the Dagster UI; Ctrl-C stops everything."""
    from opsintel.launcher import serve as run_servers

    sys.exit(run_servers(dagster_port=dagster_port, streamlit_port=dashboards_port, host=host))
