"""Data health per source, on audit, check and drift rows written by hand.

Each source gets one situation (a failed load, a stale load, a failed critical check, drift,
quarantined rows, a clean load) and the expected verdict is worked out from the rules in
``SourceHealth.verdict`` and the cadence in models/freshness.yml.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest

from ingestion.loader.schema import ensure_raw_schema
from ingestion.quality.store import ensure_quality_schema
from reporting.health import source_health

NOW = datetime(2026, 10, 31, 12, 0, 0)


def _audit(con, batch, source, outcome, finished, read=0, loaded=0, quarantined=0, sha="a", message=None):
    con.execute(
        """insert into raw.load_audit (batch_id, source, entity, file, file_sha256, file_bytes, rows_read,
               rows_loaded, rows_quarantined, rows_inserted, rows_updated, started_at, finished_at, outcome, message)
           values (?, ?, 'e', ?, ?, 1, ?, ?, ?, 0, 0, ?, ?, ?, ?)""",
        [batch, source, f"{source}/e.csv", sha, read, loaded, quarantined, finished, finished, outcome, message],
    )


def _check(con, run, source, severity, passed, checked_at):
    con.execute(
        "insert into quality.check_results values (?, ?, 'e', 'c_' || ?, ?, ?, 0, 1, 'msg', '{}', null, ?)",
        [run, source, severity, severity, passed, checked_at],
    )


@pytest.fixture()
def con():
    con = duckdb.connect()
    ensure_raw_schema(con)
    ensure_quality_schema(con)
    fresh = NOW - timedelta(hours=2)
    # finance: clean, fresh, checks passed -> ok
    _audit(con, "f1", "finance", "loaded", fresh, 10, 10)
    _check(con, "r1", "finance", "critical", True, fresh)
    # crm: loaded 2 h ago but its latest batch (later) failed -> blocked, message kept
    _audit(con, "c1", "crm", "loaded", NOW - timedelta(hours=5), 5, 5)
    _audit(con, "c2", "crm", "rolled_back", fresh, 5, 0, sha="b")
    _audit(con, "c2", "crm", "failed", fresh, message="crm/e.csv: required column 'x' is missing")
    # billing: fresh, but the latest check run has a failed critical check -> blocked;
    # an older run's failures do not count.
    _audit(con, "b1", "billing", "loaded", fresh, 7, 7)
    _check(con, "old", "billing", "warning", False, fresh - timedelta(hours=1))
    _check(con, "new", "billing", "critical", False, fresh)
    _check(con, "new", "billing", "warning", True, fresh)
    # usage: last new content 40 h ago (> warn 30, <= error 48) -> warn
    _audit(con, "u1", "usage", "loaded", NOW - timedelta(hours=40), 3, 3)
    # projects: 49 h -> stale -> blocked
    _audit(con, "p1", "projects", "loaded", NOW - timedelta(hours=49), 3, 3)
    # procurement: fresh, one quarantined row -> warn
    _audit(con, "q1", "procurement", "loaded", fresh, 4, 3, 1)
    # support: fresh, a new column recorded as drift -> warn
    _audit(con, "s1", "support", "loaded", fresh, 2, 2)
    con.execute("insert into raw.schema_drift values ('s1', 'support', 'support_tickets', 'support/e.csv', 'mood', 'added', ?)", [fresh])
    # partners: never loaded -> blocked
    yield con
    con.close()


def test_verdict_per_source(con) -> None:
    health = {h.source: h for h in source_health(con, NOW)}
    assert {s: h.verdict for s, h in health.items()} == {
        "finance": "ok", "crm": "blocked", "billing": "blocked", "usage": "warn",
        "projects": "blocked", "procurement": "warn", "support": "warn", "partners": "blocked",
    }


def test_figures_come_from_the_latest_batch_and_check_run(con) -> None:
    health = {h.source: h for h in source_health(con, NOW)}
    crm = health["crm"]
    assert crm.last_outcome == "failed"
    assert crm.last_message == "crm/e.csv: required column 'x' is missing"
    assert (crm.rows_read, crm.rows_loaded) == (5, 0)
    billing = health["billing"]
    assert (billing.critical_failed, billing.warnings_failed) == (1, 0)
    assert health["usage"].freshness == "warn" and health["usage"].age_hours == pytest.approx(40.0)
    assert health["projects"].freshness == "stale"
    assert health["support"].drifted_columns == ["support_tickets.mood (added)"]
    assert health["procurement"].rows_quarantined == 1
    partners = health["partners"]
    assert (partners.last_outcome, partners.freshness, partners.checked_at) == (None, "never_loaded", None)
    assert partners.expected_every_hours == 168
