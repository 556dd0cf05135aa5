"""The comparisons the fault tests rely on find a changed row and ignore floating-point noise."""

from __future__ import annotations

from pathlib import Path

import duckdb
from fault_checks import RowDiff, schema_diffs


def marts_file(path: Path, rows: list[tuple[str, int, float]]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create table marts.kpi (tenant_id varchar, requests bigint, avg_hours double)")
    con.executemany("insert into marts.kpi values (?, ?, ?)", rows)
    con.close()
    return path


def test_a_changed_row_counts_as_one_lost_and_one_extra(tmp_path: Path) -> None:
    reference = marts_file(tmp_path / "ref.duckdb", [("T1", 3, 31.25), ("T2", 5, 4.0)])
    candidate = marts_file(tmp_path / "cand.duckdb", [("T1", 3, 31.25), ("T2", 6, 4.0)])
    assert schema_diffs(candidate, reference, "marts") == {"kpi": RowDiff(lost=1, extra=1)}


def test_a_missing_or_doubled_row_is_counted(tmp_path: Path) -> None:
    reference = marts_file(tmp_path / "ref.duckdb", [("T1", 3, 31.25), ("T2", 5, 4.0)])
    candidate = marts_file(tmp_path / "cand.duckdb", [("T1", 3, 31.25), ("T1", 3, 31.25)])
    assert schema_diffs(candidate, reference, "marts") == {"kpi": RowDiff(lost=1, extra=1)}
    missing = marts_file(tmp_path / "missing.duckdb", [("T1", 3, 31.25)])
    assert schema_diffs(missing, reference, "marts") == {"kpi": RowDiff(lost=1, extra=0)}


def test_last_bit_differences_of_a_double_sum_are_not_a_difference(tmp_path: Path) -> None:
    # 0.1 + 0.2 + 0.3 summed in two orders: 0.6000000000000001 and 0.6.
    reference = marts_file(tmp_path / "ref.duckdb", [("T1", 3, (0.1 + 0.2) + 0.3)])
    candidate = marts_file(tmp_path / "cand.duckdb", [("T1", 3, 0.1 + (0.2 + 0.3))])
    assert (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3)
    assert schema_diffs(candidate, reference, "marts") == {"kpi": RowDiff()}
