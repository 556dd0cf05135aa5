"""A generated company big enough to train the renewal-risk model on, built once per test process.

Two tenants at scale 0.3 (seed 7, about 240 decided renewals), loaded and built with dbt the way
tests/dbt/conftest.py builds its company, as of the generator's export date, then published.
Tests read it only; a test that writes takes a copy (``company_copy``).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_runner import run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing

RENEWAL_AS_OF = date(2026, 10, 31)


@dataclass(frozen=True)
class RenewalCompany:
    path: Path  # the working warehouse file; its published snapshot is current
    truth: Path  # the generator's labels, for evaluation only
    as_of: date = RENEWAL_AS_OF

    def reader(self):
        return Warehouse(self.path).reader()


@pytest.fixture(scope="session")
def renewal_company(tmp_path_factory: pytest.TempPathFactory) -> RenewalCompany:
    base = tmp_path_factory.mktemp("renewal-company")
    landing, truth = base / "landing", base / "truth"
    generate(landing, truth, tenants=2, scale=0.3, seed=7, as_of=RENEWAL_AS_OF)
    path = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(path), landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPSINTEL_AS_OF_DATE", RENEWAL_AS_OF.isoformat())
        build = run_dbt(["build"], path, base / "dbt")
    assert build.result.success, build.result.exception
    Warehouse(path).publish()
    return RenewalCompany(path, truth)


@pytest.fixture(scope="session")
def renewal_model(renewal_company: RenewalCompany):
    from ml.renewal import train_renewal_model

    with renewal_company.reader() as con:
        return train_renewal_model(con, RENEWAL_AS_OF, seed=3)


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The company's as-of date and a fresh model artifacts folder (returned) for one test."""
    monkeypatch.setenv("OPSINTEL_AS_OF_DATE", RENEWAL_AS_OF.isoformat())
    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv("OPSINTEL_ARTIFACTS", str(artifacts))
    return artifacts


@pytest.fixture()
def company_copy(renewal_company: RenewalCompany, tmp_path: Path) -> RenewalCompany:
    """A published copy of the company's warehouse that a test may write to."""
    path = tmp_path / "warehouse" / "opsintel.duckdb"
    path.parent.mkdir()
    shutil.copyfile(renewal_company.path, path)
    Warehouse(path).publish()
    return RenewalCompany(path, renewal_company.truth)
