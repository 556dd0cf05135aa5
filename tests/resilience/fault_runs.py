"""Run writers in child processes and SIGKILL them at seeded random moments; check what is left.

Shared by the resilience tests and ``tests/reports/fault_injection_report.py``. A writer is
``fault_worker.py`` in its own session, so one ``killpg`` kills it together with the dbt
process it started. Delays are measured from the worker's ``READY`` line (imports done), so
they spread over the write itself rather than over Python's start-up.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fault_checks import RowDiff, duplicate_keys, schema_diffs, source_diffs, source_versions
from fault_company import Company, reference_load

from foundation.warehouse import Warehouse
from ingestion.loader import load_source

WORKER = Path(__file__).with_name("fault_worker.py")


@dataclass
class WorkerRun:
    returncode: int
    killed: bool
    output: str
    seconds: float  # from READY to exit (or to the kill)


def start_worker(args: list[str], **popen: object) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True, **popen)
    assert process.stdout is not None
    first = process.stdout.readline()
    if first.strip() != "READY":
        rest = process.communicate()[0]
        raise AssertionError(f"worker {args[0]} did not start: {first}{rest}")
    return process


def run_worker(args: list[str], *, kill_after: float | None = None, kill_on: str | None = None,
               **popen: object) -> WorkerRun:
    """Run the worker to the end, or SIGKILL its process group ``kill_after`` s after READY
    (or as soon as it prints a line starting with ``kill_on``)."""
    process = start_worker(args, **popen)
    started = time.monotonic()
    killed = False
    seen = ""
    if kill_on is not None:
        assert process.stdout is not None
        for line in process.stdout:
            seen += line
            if line.startswith(kill_on):
                os.killpg(process.pid, signal.SIGKILL)
                killed = True
                break
    elif kill_after is not None:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
    output = seen + process.communicate()[0]
    return WorkerRun(process.returncode, killed, output, time.monotonic() - started)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def copy_warehouse(source: Path, target: Path) -> Path:
    """Copy a warehouse folder (working file, snapshots, published link) to ``target``."""
    shutil.copytree(source.parent, target.parent, symlinks=True)
    return target


def leftovers(warehouse: Warehouse) -> list[str]:
    """Hidden temporary files (scratch copies, partial snapshots, link swaps) still on disk."""
    folders = [warehouse.path.parent, warehouse.snapshots_dir]
    return sorted(p.name for folder in folders if folder.is_dir() for p in folder.iterdir()
                  if p.name.startswith(".") and p.name.endswith((".tmp", ".tmp.wal")))


# -- readers -------------------------------------------------------------------------------


@dataclass
class ReaderLog:
    """What reader threads saw: one result per query, and every error."""

    results: list[tuple[Path, tuple]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_in_loop(warehouse: Warehouse, query: str, stop: threading.Event, log: ReaderLog) -> None:
    """Open the published snapshot and run ``query`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            with warehouse.reader() as con:
                # The file this connection opened (the link may have moved since).
                opened = con.execute(
                    "select path from duckdb_databases() where database_name = current_database()"
                ).fetchall()[0][0]
                rows = tuple(con.execute(query).fetchall())
            log.results.append((Path(opened).resolve(), rows))
        except Exception as exc:  # noqa: BLE001 (every failure of a reader is the finding)
            log.errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)


class Readers:
    """``count`` threads querying the published snapshot while the block runs."""

    def __init__(self, warehouse: Warehouse, query: str, count: int = 4) -> None:
        self.log = ReaderLog()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=read_in_loop, args=(warehouse, query, self._stop, self.log))
                         for _ in range(count)]

    def __enter__(self) -> ReaderLog:
        for thread in self._threads:
            thread.start()
        return self.log

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


# -- load kills ----------------------------------------------------------------------------


@dataclass
class KillStats:
    tried: int = 0
    landed: int = 0  # kills that hit a running writer (not one that had already finished)
    recoveries: int = 0
    recovery_runs: int = 0
    rows_lost: int = 0
    duplicates: int = 0
    reader_errors: int = 0
    problems: list[str] = field(default_factory=list)


def check_loaded_state(database: Path, references: dict[str, Path], what: str) -> list[str]:
    """Problems of a warehouse file after a kill: a mixed source, or a duplicated key."""
    problems = [f"{what}: raw.{table} has {n} duplicate keys" for table, n in duplicate_keys(database).items() if n]
    versions = source_versions(database, references)
    problems += [f"{what}: {source} matches no complete load" for source, label in versions.items() if label is None]
    return problems


def load_kill_campaign(
    warehouse: Warehouse,
    landings: dict[str, Path],
    references: dict[str, Path],
    *,
    kills: int,
    seed: int,
    recover_each: bool,
    progress: Callable[[str], None] = lambda _: None,
) -> KillStats:
    """Kill loads at random moments; after each, both the snapshot and the working file are sound.

    ``landings`` and ``references`` share labels: a reference is a warehouse holding a
    complete load of that landing. Loads alternate between the landings, so every load changes
    rows. The warehouse must hold a complete load of the first landing to start with. Ends with
    a complete load of the first landing, which must equal its reference row for row.
    """
    rng = random.Random(seed)
    labels = list(landings)
    stats = KillStats()
    duration = run_worker(["load", str(warehouse.path), str(landings[labels[1]])]).seconds
    for attempt in range(kills):
        label = labels[attempt % len(labels)]
        delay = rng.uniform(0, duration)
        with Readers(warehouse, "select count(*) from raw.load_audit", count=1) as log:
            run = run_worker(["load", str(warehouse.path), str(landings[label])], kill_after=delay)
        stats.tried += 1
        stats.landed += run.killed
        stats.reader_errors += len(log.errors)
        snapshot = warehouse.current_snapshot()
        if snapshot is None:
            stats.problems.append(f"kill {attempt}: no published snapshot")
            continue
        found = check_loaded_state(snapshot, references, f"kill {attempt} snapshot")
        found += check_loaded_state(warehouse.path, references, f"kill {attempt} working file")
        stats.problems += found
        progress(f"load kill {attempt + 1}/{kills} at {delay:.2f} s ({'landed' if run.killed else 'after the end'}): "
                 f"{'sound' if not found else found}")
        if recover_each:
            next_label = labels[(attempt + 1) % len(labels)]
            _recover_load(warehouse, landings[next_label], references[next_label], stats)
    _recover_load(warehouse, landings[labels[0]], references[labels[0]], stats)
    return stats


def _recover_load(warehouse: Warehouse, landing: Path, reference: Path, stats: KillStats) -> None:
    run = run_worker(["load", str(warehouse.path), str(landing)])
    stats.recovery_runs += 1
    if run.returncode != 0 or '"failed"' in run.output:
        stats.problems.append(f"recovery load failed: {run.output.strip()}")
        return
    diff = sum(source_diffs(warehouse.path, reference).values(), RowDiff())
    snapshot_diff = sum(source_diffs(warehouse.current_snapshot(), reference).values(), RowDiff())
    stats.rows_lost += diff.lost + snapshot_diff.lost
    stats.duplicates += diff.extra + snapshot_diff.extra + sum(duplicate_keys(warehouse.path).values())
    stats.recoveries += diff.equal and snapshot_diff.equal


# -- build kills ---------------------------------------------------------------------------

# Per tenant-month within one snapshot: the bridge rolls forward and closes on the sum of fct_mrr.
MRR_CONSISTENCY_QUERY = """
with bridge as (
    select tenant_id, month_start, closing_mrr,
           opening_mrr + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr as rolled_mrr
    from marts.kpi_mrr_bridge
), facts as (
    select tenant_id, month_start, sum(mrr) as mrr from marts.fct_mrr group by all
)
select count(*) as months,
       count(*) filter (where rolled_mrr <> closing_mrr) as roll_breaks,
       count(*) filter (where closing_mrr <> coalesce(facts.mrr, 0)) as fact_breaks,
       sum(closing_mrr) as total_closing_mrr
from bridge left join facts using (tenant_id, month_start)
"""


def mart_diff(candidate: Path, reference: Path) -> RowDiff:
    return sum(schema_diffs(candidate, reference, "marts").values(), RowDiff())


def build_kill_campaign(
    warehouse: Warehouse,
    reference: Path,
    work: Path,
    *,
    kills: int,
    seed: int,
    duration: float,
    recover_each: bool,
    progress: Callable[[str], None] = lambda _: None,
) -> KillStats:
    """Kill ``dbt build`` in ``build_copy()`` at random moments, readers querying all along.

    After each kill the published link and the working file must be untouched, unless the
    kill came after the swap, when both must hold the complete build. Ends with a complete
    build whose marts must equal ``reference``'s row for row.
    """
    rng = random.Random(seed)
    stats = KillStats()
    for attempt in range(kills):
        before = (warehouse.current_snapshot(), file_digest(warehouse.path))
        delay = rng.uniform(0, duration)
        with Readers(warehouse, MRR_CONSISTENCY_QUERY) as log:
            run = run_worker(["build", str(warehouse.path), str(work / f"kill-{attempt}")], kill_after=delay)
        stats.tried += 1
        stats.landed += run.killed
        stats.reader_errors += len(log.errors) + _inconsistent_results(log)
        after = (warehouse.current_snapshot(), file_digest(warehouse.path))
        if after == before:
            outcome = "untouched"
        elif after[0] != before[0] and _holds_build(warehouse.path, reference) and _holds_build(after[0], reference):
            outcome = "completed"  # killed after the swap: the whole build is in place
        else:
            outcome = "CHANGED"
            stats.problems.append(f"build kill {attempt} at {delay:.1f} s left {after} (was {before})")
        progress(f"build kill {attempt + 1}/{kills} at {delay:.1f} s ({'landed' if run.killed else 'after the end'}): {outcome}")
        if recover_each:
            _recover_build(warehouse, reference, work / f"recover-{attempt}", stats)
    _recover_build(warehouse, reference, work / "final", stats)
    return stats


def _holds_build(database: Path | None, reference: Path) -> bool:
    return database is not None and mart_diff(database, reference).equal


def _inconsistent_results(log: ReaderLog) -> int:
    return sum(1 for _, rows in log.results if rows and (rows[0][1] or rows[0][2]))


def _recover_build(warehouse: Warehouse, reference: Path, work: Path, stats: KillStats) -> None:
    run = run_worker(["build", str(warehouse.path), str(work)])
    stats.recovery_runs += 1
    if run.returncode != 0:
        stats.problems.append(f"recovery build failed ({run.returncode}): {run.output.strip()[-500:]}")
        return
    diff = mart_diff(warehouse.path, reference) + mart_diff(warehouse.current_snapshot(), reference)
    stats.rows_lost += diff.lost
    stats.duplicates += diff.extra
    stats.recoveries += diff.equal


# -- the rebuild scene ---------------------------------------------------------------------


@dataclass
class RebuildScene:
    start: Warehouse  # old marts, revised billing loaded, not rebuilt yet
    reference: Warehouse  # a copy of ``start``, rebuilt while readers queried it
    old_snapshot: Path
    new_snapshot: Path
    readers: ReaderLog
    first_build: WorkerRun
    rebuild: WorkerRun


def make_rebuild_scene(company: Company, base: Path) -> RebuildScene:
    """Build the original exports, load the revised billing export, rebuild a copy under readers.

    The revised export doubles recurring prices, so the rebuild changes MRR: readers can tell
    the old snapshot from the new one by the numbers.
    """
    start = Warehouse(reference_load(company.original, base / "start" / "opsintel.duckdb"))
    first_build = run_worker(["build", str(start.path), str(base / "dbt-first")])
    assert first_build.returncode == 0, first_build.output
    assert load_source(start, company.revised, "billing").outcome == "loaded"
    reference = Warehouse(copy_warehouse(start.path, base / "reference" / "opsintel.duckdb"))
    old_snapshot = reference.current_snapshot()
    with Readers(reference, MRR_CONSISTENCY_QUERY, count=4) as log:
        rebuild = run_worker(["build", str(reference.path), str(base / "dbt-reference")])
        new_snapshot = reference.current_snapshot()
        _wait_for_a_read_of(log, new_snapshot)
    assert rebuild.returncode == 0, rebuild.output
    return RebuildScene(start, reference, old_snapshot, new_snapshot, log, first_build, rebuild)


def _wait_for_a_read_of(log: ReaderLog, snapshot: Path | None, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not any(path == snapshot for path, _ in log.results) and time.monotonic() < deadline:
        time.sleep(0.05)
