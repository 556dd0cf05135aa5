"""Run dbt in-process against a chosen warehouse, with target/ and logs/ outside the repo."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from foundation.settings import dbt_writer_environment
from models.dbt_sources import REPO_ROOT

DBT_PROJECT = REPO_ROOT / "dbt_project"


@dataclass
class DbtRun:
    """One dbt invocation: its result and every warning-level event it logged."""

    result: dbtRunnerResult
    warnings: list[str] = field(default_factory=list)

    @property
    def node_results(self) -> list:
        return list(getattr(self.result.result, "results", None) or [])


def run_dbt(args: list[str], warehouse: Path, work: Path) -> DbtRun:
    """``dbt <args>`` on ``warehouse`` with target/ and logs/ under ``work``."""
    warnings: list[str] = []

    def collect(event) -> None:
        if event.info.level in ("warn", "error") and event.info.name != "RunResultError":
            warnings.append(f"{event.info.name}: {event.info.msg}")

    full = [*args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    with pytest.MonkeyPatch.context() as env:
        for name, value in dbt_writer_environment(warehouse).items():  # its own file: dbt may write it
            env.setenv(name, value)
        env.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        try:
            result = dbtRunner(callbacks=[collect]).invoke(full)
        finally:
            _release_duckdb()
    return DbtRun(result, warnings)


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a run.

    In-process only: it would otherwise hold the file with its own configuration, and the
    tests' own connections to it fail ("different configuration than existing connections").
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
