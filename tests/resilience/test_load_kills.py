"""SIGKILL a load at random moments: no half-loaded source, no lost or doubled row afterwards."""

from __future__ import annotations

from pathlib import Path

from fault_checks import duplicate_keys, source_diffs
from fault_company import Company, reference_load, total
from fault_runs import check_loaded_state, leftovers, load_kill_campaign

from foundation.warehouse import Warehouse

LOAD_KILLS = 12
SEED = 20261031


def test_killed_loads_leave_whole_sources_and_the_next_load_matches_the_reference(
    company: Company, tmp_path: Path
) -> None:
    warehouse = Warehouse(reference_load(company.original, tmp_path / "wh" / "opsintel.duckdb"))
    progress: list[str] = []
    stats = load_kill_campaign(warehouse, company.landings, company.references, kills=LOAD_KILLS,
                               seed=SEED, recover_each=False, progress=progress.append)
    print("\n".join(progress))
    assert stats.problems == []
    assert stats.tried == LOAD_KILLS
    assert stats.landed >= LOAD_KILLS // 2, "most kills should hit a running load"
    assert stats.reader_errors == 0
    assert (stats.recoveries, stats.rows_lost, stats.duplicates) == (1, 0, 0)
    assert leftovers(warehouse) == []


def test_the_consistency_check_sees_a_source_mixed_from_two_loads(company: Company, tmp_path: Path) -> None:
    """The check the kills rely on: half of a revision is neither version of the source."""
    path = reference_load(company.original, tmp_path / "wh" / "opsintel.duckdb")
    assert check_loaded_state(path, company.references, "intact") == []
    with Warehouse(path).writer() as con:
        # The revised finance export renames both tenants; renaming one is half a load.
        con.execute("update raw.tenants set tenant_name = tenant_name || ' (revised)' where tenant_id = 'TEN-001'")
    assert check_loaded_state(path, company.references, "mixed") == ["mixed: finance matches no complete load"]
    with Warehouse(path).writer() as con:
        con.execute("insert into raw.customers select * from raw.customers limit 1")
    problems = check_loaded_state(path, company.references, "doubled")
    assert "doubled: raw.customers has 1 duplicate keys" in problems
    assert "doubled: crm matches no complete load" in problems


def test_row_comparison_counts_lost_and_extra_rows(company: Company, tmp_path: Path) -> None:
    path = reference_load(company.original, tmp_path / "wh" / "opsintel.duckdb")
    with Warehouse(path).writer() as con:
        con.execute("delete from raw.payments where rowid in (select rowid from raw.payments limit 3)")
        con.execute("insert into raw.vendors select * from raw.vendors limit 2")
    diffs = source_diffs(path, company.original_reference)
    assert (diffs["billing"].lost, diffs["billing"].extra) == (3, 0)
    assert (diffs["procurement"].lost, diffs["procurement"].extra) == (0, 2)
    assert total(diffs).lost == 3 and total(diffs).extra == 2
    assert duplicate_keys(path)["vendors"] == 2
