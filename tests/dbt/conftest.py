"""A small generated company, loaded into a temporary warehouse and built with dbt once.

dbt runs in-process (``dbtRunner``) against temporary target and log folders, so the tests
never write into dbt_project/. The build is shared by every test of the folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt_runner import DbtRun, run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing


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
