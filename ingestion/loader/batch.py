"""Load a source system's export files into ``raw``: validated, loss-free, idempotent, atomic.

A batch is one source system: every file of every entity of that source is loaded in one
transaction, so a failure anywhere leaves the warehouse as it was. Within the batch each file
is an upsert by primary key (a corrected re-export replaces rows; an identical reload changes
nothing) and every record read is either loaded or quarantined with its reason. Columns that
differ from the contract are recorded as schema drift in the same transaction (see ``drift``);
a file that changes while it is read stops its source (see ``fingerprint``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from foundation.warehouse import Warehouse
from ingestion.loader.discovery import (
    ensure_inside_landing,
    file_format,
    files_for_entity,
    pinned_file,
    unrecognised_files,
)
from ingestion.loader.drift import column_drift, record_drift, stop_on_changed_text_types
from ingestion.loader.errors import SourceStopped
from ingestion.loader.fingerprint import ensure_unchanged, fingerprint
from ingestion.loader.messages import error_text, shown_names
from ingestion.loader.results import FileLoadResult, SourceLoadResult, TableLoadResult
from ingestion.loader.schema import ensure_raw_schema
from ingestion.loader.staging import stage_file
from ingestion.loader.validation import CHECKED, build_checked_table_sql
from models import SOURCE_SYSTEMS, Contract, contracts_by_source

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
DRIFT_LINES_PER_FILE = 5  # beyond this many drifted columns of a kind, one summary line


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_landing(
    warehouse: Warehouse,
    landing: Path,
    sources: Iterable[str] | None = None,
    *,
    progress: Progress | None = None,
) -> list[SourceLoadResult]:
    """Load the given source systems (all by default) in dependency order, one batch each.

    A source that fails is rolled back and reported; the others still load.
    """
    wanted = list(sources) if sources is not None else list(SOURCE_SYSTEMS)
    unknown = [s for s in wanted if s not in SOURCE_SYSTEMS]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; known sources: {', '.join(SOURCE_SYSTEMS)}")
    ordered = [s for s in SOURCE_SYSTEMS if s in wanted]
    with warehouse.writer() as con:
        ensure_raw_schema(con)
        return [_load_source(con, Path(landing), source, progress or (lambda _: None)) for source in ordered]


def load_source(
    warehouse: Warehouse, landing: Path, source: str, *, progress: Progress | None = None
) -> SourceLoadResult:
    """Load one source system in one atomic batch. Data problems never raise: see ``outcome``."""
    return load_landing(warehouse, landing, [source], progress=progress)[0]


def _load_source(
    con: duckdb.DuckDBPyConnection, landing: Path, source: str, progress: Progress
) -> SourceLoadResult:
    started = _now()
    batch_id = f"{source}-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    contracts = contracts_by_source()[source]
    tables = {c.name: TableLoadResult(c.name) for c in contracts}
    try:  # a source folder linked to elsewhere is refused before anything in it is listed
        ensure_inside_landing(landing, landing / source, source)
    except SourceStopped as exc:
        return _failed(con, progress, source, batch_id, started, contracts, str(exc), [], source)
    plan = [(c, path) for c in contracts for path in files_for_entity(landing, c)]
    for stray in unrecognised_files(landing, source):
        progress(f"{source}: ignoring {stray.relative_to(landing).as_posix()} (no contract for it)")
    if not plan:
        progress(f"{source}: no files in {landing / source}")
        result = SourceLoadResult(source, batch_id, "no_files", started, _now(), tables,
                                  f"{source}: no export files found in {landing / source}")
        _write_audit(con, result, [], None)
        return result

    done: list[FileLoadResult] = []
    current = ""
    message: str | None = None
    con.begin()
    try:
        for contract, path in plan:
            current = path.relative_to(landing).as_posix()
            file_result = _load_file(con, landing, path, contract, batch_id, source)
            done.append(file_result)
            tables[contract.name].files.append(file_result)
            _report_drift(progress, current, file_result)
            progress(
                f"{current}: {file_result.rows_read:,} read, {file_result.rows_loaded:,} loaded "
                f"({file_result.rows_inserted:,} new, {file_result.rows_updated:,} changed), "
                f"{file_result.rows_quarantined:,} quarantined"
            )
        con.commit()
    except SourceStopped as exc:
        _rollback_if_open(con)
        message = str(exc)
    except (duckdb.IOException, duckdb.TransactionException, OSError):
        # The disk or the file system failed (a full disk surfaces as a failed COMMIT), not
        # this source's data: the whole write stops and the warehouse reports it in one line
        # (the scratch copy is dropped, nothing changes).
        _rollback_if_open(con)
        raise
    except Exception as exc:  # any failure must roll the batch back and be reported
        _rollback_if_open(con)
        log.debug("unexpected error loading %s", current, exc_info=True)  # details for developers; users get one line
        message = f"{current}: load failed ({type(exc).__name__}: {error_text(exc)})"
    if message is not None:
        return _failed(con, progress, source, batch_id, started, contracts, message, done, current)
    result = SourceLoadResult(source, batch_id, "loaded", started, _now(), tables)
    _write_audit(con, result, done, None)
    return result


def _failed(
    con: duckdb.DuckDBPyConnection,
    progress: Progress,
    source: str,
    batch_id: str,
    started: datetime,
    contracts: list[Contract],
    message: str,
    done: list[FileLoadResult],
    current: str,
) -> SourceLoadResult:
    """Report and audit a source that stopped: nothing of its batch was kept."""
    progress(f"{source}: FAILED, nothing of this batch was kept: {message}")
    result = SourceLoadResult(source, batch_id, "failed", started, _now(),
                              {c.name: TableLoadResult(c.name) for c in contracts}, message)
    _write_audit(con, result, done, current)
    return result


def _rollback_if_open(con: duckdb.DuckDBPyConnection) -> None:
    # A failed COMMIT (disk full) has already ended the transaction; rolling back again would
    # raise "no transaction is active" and hide the real error.
    try:
        con.rollback()
    except duckdb.TransactionException:
        pass


def _load_file(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    path: Path,
    contract: Contract,
    batch_id: str,
    source: str,
) -> FileLoadResult:
    label = path.relative_to(landing).as_posix()
    with pinned_file(landing, path, label) as pinned:
        before = fingerprint(pinned)
        result = FileLoadResult(entity=contract.name, path=label, sha256=before.sha256, file_bytes=before.size)
        staged = stage_file(con, pinned, label, contract, file_format(path))
        ensure_unchanged(pinned, label, before)  # written to while being read
    # The name still leads to the same bytes: not replaced, or re-pointed, meanwhile.
    ensure_inside_landing(landing, path, label)
    ensure_unchanged(path, label, before)
    if file_format(path) != "parquet":  # Parquet types were checked from its schema
        stop_on_changed_text_types(con, label, contract)
    drift = column_drift(contract, staged.columns)
    con.execute(build_checked_table_sql(contract))
    # fetchall, not fetchone: duckdb 2 keeps a half-read result open, which blocks the next
    # register() on this connection.
    checked, bad = con.execute(
        f"select count(*), count(__error_field) from {CHECKED}"
    ).fetchall()[0]
    if checked != staged.rows_read:  # the invariant the whole loader exists for
        raise RuntimeError(f"{label}: {staged.rows_read} records read but {checked} validated")
    now = _now()
    _sync_quarantine(con, label, batch_id, source, contract.name, now)
    record_drift(con, drift, label=label, batch_id=batch_id, source=source, entity=contract.name, now=now)
    inserted, updated = _upsert(con, contract, label, batch_id, now)
    result.new_columns, result.missing_columns = drift.added, drift.missing
    result.rows_read = staged.rows_read
    result.rows_quarantined = bad
    result.rows_loaded = checked - bad
    result.rows_inserted, result.rows_updated = inserted, updated
    return result


def _report_drift(progress: Progress, label: str, result: FileLoadResult) -> None:
    """A line per drifted column, or one line for all of a kind when there are more than a few."""
    for columns, one, many, outcome in (
        (result.new_columns, "new column {} not in the contract", "{:,} new columns not in the contract",
         "ignored"),
        (result.missing_columns, "optional column {} is missing", "{:,} optional columns are missing",
         "loaded as empty"),
    ):
        if len(columns) > DRIFT_LINES_PER_FILE:
            names = shown_names(columns, quoted=True, limit=DRIFT_LINES_PER_FILE)
            progress(f"{label}: {many.format(len(columns))} ({names}): {outcome}, recorded as drift")
            continue
        for column in columns:
            progress(f"{label}: {one.format(shown_names([column], quoted=True))}: {outcome}, recorded as drift")


def _sync_quarantine(
    con: duckdb.DuckDBPyConnection, label: str, batch_id: str, source: str, entity: str, now: datetime
) -> None:
    """Make the file's quarantine rows equal this load's bad records, touching nothing unchanged."""
    same = (
        "q.file = b.__file and q.row_number = b.__row and q.reason = b.__error_reason "
        "and q.record is not distinct from b.__record"
    )
    con.execute(f"create or replace temp table __bad as select ? as __file, * from {CHECKED} where __error_field is not null", [label])
    con.execute(
        f"delete from raw.quarantine q where q.file = ? and not exists (select 1 from __bad b where {same})",
        [label],
    )
    con.execute(
        f"""insert into raw.quarantine
            select ?, ?, ?, b.__file, b.__row, b.__error_field, b.__error_reason, b.__record, ?
            from __bad b where not exists (select 1 from raw.quarantine q where {same})""",
        [batch_id, source, entity, now],
    )


def _upsert(
    con: duckdb.DuckDBPyConnection, contract: Contract, label: str, batch_id: str, now: datetime
) -> tuple[int, int]:
    """Insert new keys, replace changed rows, leave identical rows alone. Returns (new, changed)."""
    table = f"raw.{_q(contract.name)}"
    key_match = " and ".join(f"t.{_q(k)} = g.{_q(k)}" for k in contract.primary_key)
    differs = " or ".join(f"g.{_q(f.name)} is distinct from t.{_q(f.name)}" for f in contract.fields)
    first_key = _q(contract.primary_key[0])
    fields = ", ".join(_q(f.name) for f in contract.fields)
    con.execute(f"""
        create or replace temp table __changes as
        select g.*, t.{first_key} is null as __is_new
        from (select * from {CHECKED} where __error_field is null) g
        left join {table} t on {key_match}
        where t.{first_key} is null or ({differs})
    """)
    inserted, updated = con.execute(
        "select count(*) filter (where __is_new), count(*) filter (where not __is_new) from __changes"
    ).fetchall()[0]
    if updated:
        con.execute(f"delete from {table} t using __changes g where not g.__is_new and {key_match}")
    if inserted or updated:
        con.execute(
            f"insert into {table} select {fields}, ?, ?, __row, ? from __changes",
            [batch_id, label, now],
        )
    return inserted, updated


def _write_audit(
    con: duckdb.DuckDBPyConnection,
    result: SourceLoadResult,
    files: list[FileLoadResult],
    failed_file: str | None,
) -> None:
    """One audit row per file (or one per source when there were none), after commit/rollback."""
    rows = []
    for f in files:
        outcome = "loaded" if result.outcome == "loaded" else "rolled_back"
        kept = result.outcome == "loaded"
        rows.append((result.batch_id, result.source, f.entity, f.path, f.sha256, f.file_bytes, f.rows_read,
                     f.rows_loaded if kept else 0, f.rows_quarantined if kept else 0,
                     f.rows_inserted if kept else 0, f.rows_updated if kept else 0, outcome, None))
    if result.outcome == "failed":
        rows.append((result.batch_id, result.source, None, failed_file, None, None, 0, 0, 0, 0, 0,
                     "failed", result.message))
    if result.outcome == "no_files":
        rows.append((result.batch_id, result.source, None, None, None, None, 0, 0, 0, 0, 0,
                     "no_files", result.message))
    con.executemany(
        """insert into raw.load_audit (batch_id, source, entity, file, file_sha256, file_bytes,
               rows_read, rows_loaded, rows_quarantined, rows_inserted, rows_updated, outcome,
               message, started_at, finished_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [row + (result.started_at, result.finished_at) for row in rows],
    )
