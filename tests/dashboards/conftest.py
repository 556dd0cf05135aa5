"""A small built and published company for the dashboards' tests (two tenants, scale 0.1, seed 11).

Built once per test process, the same way tests/dbt/conftest.py builds its company, then
published so the app reads it the way it reads production: through the published snapshot.
Tests read it only; a test that needs to write takes a copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_runner import run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing

AS_OF = "2026-10-31"


@pytest.fixture(scope="session")
def built_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working warehouse file of the built company; its published snapshot is current."""
    base = tmp_path_factory.mktemp("dashboards-company")
    landing = base / "landing"
    generate(landing, base / "truth", tenants=2, scale=0.1, seed=11, dirty_rate=0.02)
    path = base / "warehouse" / "opsintel.duckdb"
    warehouse = Warehouse(path)
    results = load_landing(warehouse, landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPSINTEL_AS_OF_DATE", AS_OF)
        build = run_dbt(["build"], path, base / "dbt")
    assert build.result.success, build.result.exception
    warehouse.publish()
    return path


@pytest.fixture(scope="module")
def mart(built_company: Path):
    """Whole mart tables of the built company, read once per module with plain SQL."""
    con = Warehouse(built_company).reader()
    tables: dict[str, pd.DataFrame] = {}

    def read(name: str) -> pd.DataFrame:
        if name not in tables:
            tables[name] = con.execute(f"select * from marts.{name}").df()
        return tables[name].copy()

    yield read
    con.close()
