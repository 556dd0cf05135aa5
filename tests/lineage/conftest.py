"""A small company built once for the lineage tests: generated, loaded, built with dbt, published.

The dbt invocation is tests/dbt/dbt_runner.py's (in-process, target/ and logs/ outside the repo).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_runner import DbtRun, run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing


@dataclass
class BuiltCompany:
    landing: Path
    path: Path
    work: Path
    build: DbtRun
    truth: Path  # the generator's labels (settlement errors, ...), never read by the pipeline

    def reader(self) -> duckdb.DuckDBPyConnection:
        return Warehouse(self.path).reader()

    def copy_to(self, folder: Path) -> BuiltCompany:
        """An independent copy (landing files, warehouse, dbt parse) to change and rebuild."""
        shutil.copytree(self.landing, folder / "landing")
        path = folder / "warehouse" / "opsintel.duckdb"
        path.parent.mkdir(parents=True)
        shutil.copyfile(self.path, path)
        Warehouse(path).publish()
        work = folder / "dbt"
        (work / "target").mkdir(parents=True)
        partial = self.work / "target" / "partial_parse.msgpack"
        if partial.exists():
            shutil.copyfile(partial, work / "target" / partial.name)
        return BuiltCompany(folder / "landing", path, work, self.build, self.truth)


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltCompany]:
    """Two tenants at scale 0.1 (seed 11, a few dirty rows), loaded, `dbt build`, then published."""
    base = tmp_path_factory.mktemp("lineage")
    landing = base / "landing"
    generate(landing, base / "truth", tenants=2, scale=0.1, seed=11, dirty_rate=0.02)
    path = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(path), landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    work = base / "dbt"
    build = run_dbt(["build"], path, work)
    assert build.result.success, build.result.exception
    Warehouse(path).publish()
    yield BuiltCompany(landing, path, work, build, base / "truth")
