"""A small generated company in two versions, each with a complete reference load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fault_checks import RowDiff, duplicate_keys, source_diffs
from fault_landing import revised_copy

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing


@dataclass(frozen=True)
class Company:
    """Exports as generated (``original``) and revised, each with a complete reference load."""

    original: Path
    revised: Path
    original_reference: Path
    revised_reference: Path

    @property
    def landings(self) -> dict[str, Path]:
        return {"original": self.original, "revised": self.revised}

    @property
    def references(self) -> dict[str, Path]:
        return {"original": self.original_reference, "revised": self.revised_reference}


def reference_load(landing: Path, warehouse: Path) -> Path:
    results = load_landing(Warehouse(warehouse), landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    return warehouse


def total(diffs: dict[str, RowDiff]) -> RowDiff:
    return sum(diffs.values(), RowDiff())


def make_company(base: Path, *, seed: int = 11) -> Company:
    """Two tenants at scale 0.1 with 2 % dirty rows, its revised exports and both reference loads."""
    original = base / "landing"
    generate(original, base / "truth", tenants=2, scale=0.1, seed=seed, dirty_rate=0.02)
    revised = revised_copy(original, base / "landing-revised")
    company = Company(original, revised,
                      reference_load(original, base / "ref-original" / "opsintel.duckdb"),
                      reference_load(revised, base / "ref-revised" / "opsintel.duckdb"))
    # The two versions differ in every source, in values only (as many rows lost as gained).
    differences = source_diffs(company.revised_reference, company.original_reference)
    assert all(d.lost == d.extra > 0 for d in differences.values()), differences
    assert sum(duplicate_keys(company.original_reference).values()) == 0
    return company
