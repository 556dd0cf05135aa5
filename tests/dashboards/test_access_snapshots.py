"""The dashboards keep serving while the pipeline writes: reads stay on a published snapshot and
move to the next one once it is published, with no error in between."""

from __future__ import annotations

import threading
from pathlib import Path

from company_copies import copy_of_company

from dashboards.access import DataAccess, Viewer
from foundation.warehouse import Warehouse

ADMIN = Viewer("admin", "admin", None)
COUNT_SQL = "select count(*) as n from {fct_mrr}"


def test_reads_during_writes_see_whole_snapshots_and_then_the_new_one(built_company: Path, tmp_path: Path) -> None:
    path = copy_of_company(built_company, tmp_path)
    warehouse = Warehouse(path)
    access = DataAccess(path)
    before = int(access.query(ADMIN, COUNT_SQL)["n"].iloc[0])
    first_snapshot = access.snapshot
    assert before > 0

    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_until_stopped() -> None:
        while not stop.is_set():
            try:
                seen.append(int(access.query(ADMIN, COUNT_SQL)["n"].iloc[0]))
            except Exception as exc:  # noqa: BLE001 - any failure is what this test is about
                errors.append(exc)
                return

    reader = threading.Thread(target=read_until_stopped)
    reader.start()
    try:
        # A pipeline write: the same rows twice over, published atomically when the block ends.
        with warehouse.writer() as con:
            con.execute("insert into marts.fct_mrr select * from marts.fct_mrr")
        for _ in range(10_000):  # until the reader thread has seen the new snapshot
            if any(n == 2 * before for n in seen) or errors or not reader.is_alive():
                break
            access.query(ADMIN, COUNT_SQL)
    finally:
        stop.set()
        reader.join(timeout=60)

    assert errors == []
    assert set(seen) <= {before, 2 * before}  # never a half-written state
    assert access.snapshot != first_snapshot
    assert int(access.query(ADMIN, COUNT_SQL)["n"].iloc[0]) == 2 * before
