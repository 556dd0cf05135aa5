"""Data health per source system: last load, freshness, failed checks and schema drift.

One read of the published warehouse that answers "can I trust today's numbers, and if not,
which source is the problem?". ``opsintel status`` prints it; the dashboards' Data health
page shows the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from foundation.warehouse import table_exists
from models import SOURCE_SYSTEMS
from reporting.freshness import source_freshness


@dataclass(frozen=True)
class SourceHealth:
    source: str
    last_outcome: str | None  # outcome of the source's latest batch: loaded / failed / no_files
    last_finished_at: datetime | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    last_message: str | None
    freshness: str  # fresh / warn / stale / never_loaded
    age_hours: float | None
    expected_every_hours: float
    critical_failed: int  # failed critical checks in the source's latest check run
    warnings_failed: int
    checked_at: datetime | None
    drifted_columns: list[str]  # "entity.column (change)" as last loaded

    @property
    def verdict(self) -> str:
        """One word a leader can act on: ok, warn or blocked."""
        if self.last_outcome == "failed" or self.critical_failed or self.freshness in ("stale", "never_loaded"):
            return "blocked"
        if self.warnings_failed or self.freshness == "warn" or self.drifted_columns or self.rows_quarantined:
            return "warn"
        return "ok"


def _last_batches(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    if not table_exists(con, "raw", "load_audit"):
        return {}
    rows = con.execute("""
        with latest as (
            select source, arg_max(batch_id, finished_at) as batch_id from raw.load_audit group by source
        )
        select a.source,
               -- a failed batch has rolled-back file rows plus one failed row: the batch failed
               case when bool_or(a.outcome = 'failed') then 'failed' else any_value(a.outcome) end,
               max(a.finished_at), sum(a.rows_read)::bigint, sum(a.rows_loaded)::bigint,
               sum(a.rows_quarantined)::bigint, max(a.message)
        from raw.load_audit a join latest using (source, batch_id)
        group by a.source
    """).fetchall()
    return {row[0]: row[1:] for row in rows}


def _check_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, datetime]]:
    if not table_exists(con, "quality", "check_results"):
        return {}
    rows = con.execute("""
        with latest as (
            select source, arg_max(check_run_id, checked_at) as check_run_id
            from quality.check_results group by source
        )
        select r.source,
               count(*) filter (where r.severity = 'critical' and not r.passed),
               count(*) filter (where r.severity <> 'critical' and not r.passed),
               max(r.checked_at)
        from quality.check_results r join latest using (source, check_run_id)
        group by r.source
    """).fetchall()
    return {source: (critical, warnings, checked_at) for source, critical, warnings, checked_at in rows}


def _drift(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    if not table_exists(con, "raw", "schema_drift"):
        return {}
    drift: dict[str, list[str]] = {}
    for source, label in con.execute("""
        select distinct source, entity || '.' || column_name || ' (' || change || ')'
        from raw.schema_drift order by 1, 2
    """).fetchall():
        drift.setdefault(source, []).append(label)
    return drift


def source_health(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> list[SourceHealth]:
    """Health of every source system, in source order."""
    batches, checks, drift = _last_batches(con), _check_counts(con), _drift(con)
    freshness = {f.source: f for f in source_freshness(con, now)}
    report = []
    for source in SOURCE_SYSTEMS:
        outcome, finished, read, loaded, quarantined, message = batches.get(
            source, (None, None, 0, 0, 0, None)
        )
        critical, warnings, checked_at = checks.get(source, (0, 0, None))
        fresh = freshness[source]
        report.append(SourceHealth(
            source=source, last_outcome=outcome, last_finished_at=finished, rows_read=read or 0,
            rows_loaded=loaded or 0, rows_quarantined=quarantined or 0, last_message=message,
            freshness=fresh.status, age_hours=fresh.age_hours,
            expected_every_hours=fresh.expected_every_hours, critical_failed=critical,
            warnings_failed=warnings, checked_at=checked_at, drifted_columns=drift.get(source, []),
        ))
    return report
