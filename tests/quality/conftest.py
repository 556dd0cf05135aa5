"""A small generated company loaded into a warehouse, shared by the quality tests (read-only:
tests that change data work on a copy)."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing


@dataclass(frozen=True)
class LoadedCompany:
    warehouse: Warehouse
    truth: Path

    def truth_counts(self, file: str, column: str) -> Counter:
        with open(self.truth / file, newline="") as handle:
            return Counter(row[column] for row in csv.DictReader(handle))


@pytest.fixture(scope="session")
def loaded_company(tmp_path_factory: pytest.TempPathFactory) -> LoadedCompany:
    base = tmp_path_factory.mktemp("quality-company")
    generate(base / "landing", base / "truth", tenants=2, scale=0.1, seed=11, dirty_rate=0.02)
    warehouse = Warehouse(base / "warehouse" / "opsintel.duckdb")
    results = load_landing(warehouse, base / "landing")
    assert all(r.outcome == "loaded" for r in results), [r.message for r in results]
    return LoadedCompany(warehouse, base / "truth")


def copy_warehouse(company: LoadedCompany, target: Path) -> Warehouse:
    """The loaded warehouse (working file, snapshots, published link) copied under ``target``."""
    shutil.copytree(company.warehouse.path.parent, target, symlinks=True)
    return Warehouse(target / company.warehouse.path.name)
