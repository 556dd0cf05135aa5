"""The loader on a whole generated company: every source, every file, nothing lost.

The generator records each bad row it mixes in (file, record number, kind, field) in its
ground truth; the loader must quarantine exactly those rows, for the stated reason, and load
every other row.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing
from models import SOURCE_SYSTEMS, load_contracts

REASON_BY_KIND = {
    "malformed_value": ("not ", "expected a JSON"),
    "wrong_type": ("not ", "expected a JSON"),
    "missing_required": ("required field is empty",),
    "unknown_foreign_key": ("unknown ",),
    "not_allowed_value": ("is not one of",),
    "out_of_range": ("below the minimum", "above the maximum"),
    "duplicate_key": ("duplicate primary key",),
}


@pytest.fixture(scope="module")
def dirty_company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Warehouse, list]:
    root = tmp_path_factory.mktemp("dirty-company")
    landing, truth = root / "landing", root / "truth"
    generate(landing, truth, tenants=3, scale=0.2, seed=11, dirty_rate=0.05)
    warehouse = Warehouse(root / "wh" / "opsintel.duckdb")
    results = load_landing(warehouse, landing)
    return landing, truth, warehouse, results


def test_every_source_loads(dirty_company) -> None:
    *_, results = dirty_company
    assert [r.source for r in results] == list(SOURCE_SYSTEMS)
    assert {r.source: r.outcome for r in results} == {s: "loaded" for s in SOURCE_SYSTEMS}


def test_rows_read_equal_rows_loaded_plus_quarantined_for_every_file(dirty_company) -> None:
    _, _, warehouse, results = dirty_company
    files = [f for r in results for t in r.tables.values() for f in t.files]
    assert len(files) == len(load_contracts())  # one export per entity
    con = warehouse.reader()
    for f in files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined > 0, f.path
        in_raw = con.execute(f'select count(*) from raw."{f.entity}" where _source_file = ?', [f.path]).fetchone()[0]
        in_quarantine = con.execute("select count(*) from raw.quarantine where file = ?", [f.path]).fetchone()[0]
        assert (in_raw, in_quarantine) == (f.rows_loaded, f.rows_quarantined), f.path


def test_quarantine_holds_exactly_the_injected_bad_rows(dirty_company) -> None:
    _, truth, warehouse, _ = dirty_company
    with open(truth / "dirty_rows.csv", newline="") as handle:
        injected = {(r["file"], int(r["row_number"])): r for r in csv.DictReader(handle)}
    assert injected, "the generator injected no bad rows"
    con = warehouse.reader()
    quarantined = {(f, n): (field, reason) for f, n, field, reason in con.execute(
        "select file, row_number, field, reason from raw.quarantine").fetchall()}
    assert set(quarantined) == set(injected)
    for key, row in injected.items():
        field, reason = quarantined[key]
        assert reason.startswith(REASON_BY_KIND[row["kind"]]) or any(p in reason for p in REASON_BY_KIND[row["kind"]]), (key, row, reason)
        if row["kind"] not in ("duplicate_key",) and row["field"]:
            assert field == row["field"], (key, row, field, reason)


def test_reloading_the_generated_company_changes_nothing(dirty_company) -> None:
    landing, _, warehouse, _ = dirty_company
    con = warehouse.reader()
    before = {name: con.execute(f'select count(*), max(_loaded_at) from raw."{name}"').fetchone() for name in load_contracts()}
    con.close()
    again = load_landing(warehouse, landing)
    assert all(f.rows_inserted == f.rows_updated == 0 for r in again for t in r.tables.values() for f in t.files)
    con = warehouse.reader()
    after = {name: con.execute(f'select count(*), max(_loaded_at) from raw."{name}"').fetchone() for name in load_contracts()}
    assert after == before


def test_a_clean_company_loads_without_a_single_quarantined_row(tmp_path: Path) -> None:
    summary = generate(tmp_path / "landing", tmp_path / "truth", tenants=2, scale=0.1, seed=5)
    warehouse = Warehouse(tmp_path / "wh" / "opsintel.duckdb")
    results = load_landing(warehouse, tmp_path / "landing")
    assert sum(r.rows_quarantined for r in results) == 0
    con = warehouse.reader()
    for entity, rows in summary.rows.items():
        assert con.execute(f'select count(*) from raw."{entity}"').fetchone()[0] == rows, entity
