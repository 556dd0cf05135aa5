"""A small generated company, loaded into a temporary warehouse and built with dbt once.

dbt runs in-process (``dbtRunner``) against temporary target and log folders, so the tests
never write into dbt_project/. The build is shared by every test of the folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from ingestion.generator import generate
from ingestion.loader import load_landing
from ingestion.warehouse import Warehouse
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
        env.setenv("OPSINTEL_WAREHOUSE", str(warehouse))
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


@dataclass
class BuiltWarehouse:
    path: Path
    work: Path
    build: DbtRun

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltWarehouse]:
    """Two tenants at scale 0.1 with some dirty rows (the loader quarantines them), then ``dbt build``."""
    base = tmp_path_factory.mktemp("dbt-staging")
    landing, truth = base / "landing", base / "truth"
    generate(landing, truth, tenants=2, scale=0.1, seed=11, dirty_rate=0.02)
    warehouse = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(warehouse), landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    work = base / "dbt"
    build = run_dbt(["build"], warehouse, work)
    yield BuiltWarehouse(warehouse, work, build)


@pytest.fixture()
def broken_copy(built: BuiltWarehouse, tmp_path: Path) -> BuiltWarehouse:
    """A copy of the built warehouse (staging views included) for tests that damage raw rows."""
    path = tmp_path / "broken.duckdb"
    shutil.copyfile(built.path, path)
    work = tmp_path / "dbt"
    work.mkdir()
    # Reuse the parse of the first build so the second invocation starts faster.
    partial = built.work / "target" / "partial_parse.msgpack"
    if partial.exists():
        (work / "target").mkdir()
        shutil.copyfile(partial, work / "target" / partial.name)
    return BuiltWarehouse(path, work, built.build)
