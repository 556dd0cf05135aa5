"""``Warehouse.build_copy()`` and publishing: whole results or nothing, leftovers of the dead removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fault_runs import file_digest, leftovers, run_worker

from foundation.warehouse import Warehouse, WarehouseError


def rows(database: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """A published warehouse holding raw.t = 1, 2, 3."""
    warehouse = Warehouse(tmp_path / "wh" / "opsintel.duckdb")
    with warehouse.writer() as con:
        con.execute("create schema raw; create table raw.t as select range as n from range(1, 4)")
    return warehouse


def test_a_successful_block_replaces_the_working_file_and_publishes(warehouse: Warehouse) -> None:
    before = warehouse.current_snapshot()
    with warehouse.build_copy() as scratch:
        assert scratch != warehouse.path and scratch.parent == warehouse.path.parent
        con = duckdb.connect(str(scratch))
        con.execute("create schema marts; create table marts.total as select sum(n) as total from raw.t")
        con.close()
    assert rows(warehouse.path, "select total from marts.total") == [(6,)]
    assert warehouse.current_snapshot() != before
    assert rows(warehouse.current_snapshot(), "select total from marts.total") == [(6,)]
    assert leftovers(warehouse) == []


def test_a_failed_block_changes_nothing(warehouse: Warehouse) -> None:
    before = (warehouse.current_snapshot(), file_digest(warehouse.path))
    with pytest.raises(subprocess.CalledProcessError), warehouse.build_copy() as scratch:
        con = duckdb.connect(str(scratch))
        con.execute("create schema marts; create table marts.half as select 1 as n")
        con.close()
        subprocess.run([sys.executable, "-c", "raise SystemExit(2)"], check=True)  # dbt failing
    assert (warehouse.current_snapshot(), file_digest(warehouse.path)) == before
    assert leftovers(warehouse) == []


def test_a_killed_builder_changes_nothing_and_the_next_writer_removes_its_scratch(warehouse: Warehouse) -> None:
    before = (warehouse.current_snapshot(), file_digest(warehouse.path))
    run = run_worker(["fill", str(warehouse.path), "1000", "hold"], kill_on="FILLED")
    assert run.killed and "FILLED" in run.output
    assert (warehouse.current_snapshot(), file_digest(warehouse.path)) == before
    assert any(".scratch." in name for name in leftovers(warehouse))
    with warehouse.writer():
        pass
    assert leftovers(warehouse) == []
    assert rows(warehouse.current_snapshot(), "select count(*) from raw.t") == [(3,)]


def test_leftovers_of_a_running_process_are_kept(warehouse: Warehouse) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        alive = warehouse.path.with_name(f".{warehouse.path.name}.scratch.{sleeper.pid}-abc123.tmp")
        dead = warehouse.snapshots_dir / f".{warehouse.path.stem}.1-1{warehouse.path.suffix}.999999999-abc123.tmp"
        alive.write_bytes(b"in use")
        dead.write_bytes(b"half a snapshot")
        with warehouse.writer():
            pass
        assert alive.exists() and not dead.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    with warehouse.writer():
        pass
    assert not alive.exists()


def test_a_commit_left_in_the_write_ahead_log_is_in_the_copy_and_the_snapshot(warehouse: Warehouse) -> None:
    run = run_worker(["commit-and-die", str(warehouse.path)])
    assert run.returncode == -9
    wal = warehouse.path.with_name(warehouse.path.name + ".wal")
    assert wal.exists() and wal.stat().st_size > 0, "the kill should leave the commit in the WAL"
    with warehouse.build_copy() as scratch:
        assert rows(scratch, "select note from wal_probe") == [("committed before the kill",)]
    assert not wal.exists()
    assert rows(warehouse.path, "select count(*) from wal_probe") == [(1,)]
    assert rows(warehouse.current_snapshot(), "select count(*) from wal_probe") == [(1,)]


def test_pruning_keeps_the_published_snapshot_and_the_newest(warehouse: Warehouse) -> None:
    for _ in range(4):
        warehouse.publish(keep=2)
    snapshots = sorted(warehouse.snapshots_dir.glob("opsintel.*.duckdb"))
    assert len(snapshots) == 2
    assert warehouse.current_snapshot() in [s.resolve() for s in snapshots]


def test_no_space_for_the_copies_is_one_clear_error_before_anything_changes(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    before = (warehouse.current_snapshot(), file_digest(warehouse.path))
    size = warehouse.path.stat().st_size
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9 - size, size))
    with pytest.raises(WarehouseError, match=r"not enough free space in .* to build a copy and publish it"), \
            warehouse.build_copy():
        pytest.fail("the block must not run")
    assert (warehouse.current_snapshot(), file_digest(warehouse.path)) == before
    assert os.listdir(warehouse.snapshots_dir) == [before[0].name]
