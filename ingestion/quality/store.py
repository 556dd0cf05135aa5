"""``quality.check_results``: every outcome of every check run, and what blocks a source."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from foundation.warehouse import table_exists
from ingestion.quality.outcomes import CheckOutcome

CHECK_RESULTS_DDL = """
create table if not exists quality.check_results (
    check_run_id varchar not null,
    source varchar not null,
    entity varchar not null,
    check_name varchar not null,
    severity varchar not null,
    passed boolean not null,
    unexpected_count bigint not null,
    element_count bigint not null,
    message varchar not null,
    details varchar not null,
    batch_id varchar,
    checked_at timestamp not null
)
"""


def ensure_quality_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists quality")
    con.execute(CHECK_RESULTS_DDL)


def store_outcomes(con: duckdb.DuckDBPyConnection, outcomes: list[CheckOutcome], *,
                   check_run_id: str, batch_id: str | None, checked_at: datetime) -> None:
    """Append one row per outcome, all in one transaction."""
    ensure_quality_schema(con)
    rows = [(check_run_id, o.source, o.entity, o.check_name, o.severity, o.passed,
             o.unexpected_count, o.element_count, o.message, json.dumps(o.details), batch_id,
             checked_at) for o in outcomes]
    con.execute("begin")
    try:
        con.executemany("insert into quality.check_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def blocked_sources(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Source -> messages of the failed critical checks of its latest check run (blocked only)."""
    if not table_exists(con, "quality", "check_results"):
        return {}
    rows = con.execute("""
        with latest as (
            select source, arg_max(check_run_id, checked_at) as check_run_id
            from quality.check_results
            group by source
        )
        select r.source, r.message
        from quality.check_results as r
        join latest on latest.source = r.source and latest.check_run_id = r.check_run_id
        where r.severity = 'critical' and not r.passed
        order by r.source, r.entity, r.check_name
    """).fetchall()
    blocked: dict[str, list[str]] = {}
    for source, message in rows:
        blocked.setdefault(source, []).append(message)
    return blocked


def latest_loaded_batch(con: duckdb.DuckDBPyConnection, source: str) -> str | None:
    """The batch id of the source's last successful load (None before the first)."""
    if not table_exists(con, "raw", "load_audit"):
        return None
    rows = con.execute(
        "select batch_id from raw.load_audit where source = ? and outcome = 'loaded' "
        "order by finished_at desc limit 1", [source]).fetchall()
    return rows[0][0] if rows else None
