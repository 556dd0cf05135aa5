"""What every ``opsintel`` command shares: exit codes, error lines, progress and options.

Exit codes scripts can rely on:
  0  success
  1  the work ran but something failed (a source did not load, no warehouse yet, ...)
  2  bad usage or arguments (unknown option, invalid value)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

WAREHOUSE_OPTION = click.option(
    "--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="DuckDB file [default: $OPSINTEL_WAREHOUSE or data/warehouse/opsintel.duckdb].")


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """End the command with ``error: <message>`` on stderr and ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def progress(line: str) -> None:
    """One indented progress line on stderr, so stdout stays the command's result."""
    click.echo(f"  {line}", err=True)
