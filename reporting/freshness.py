"""How fresh each source system is: its expected cadence and the age of its last good load.

The cadence is ``models.freshness`` (``models/freshness.yml``); :func:`source_freshness` measures
each source against it for ``opsintel status``, the Dagster freshness checks and the dashboards'
Data health page.

A source's age counts from when its newest export content was first loaded: the end of the
first batch (``raw.load_audit``, outcome ``loaded``) that read a file with a content hash not
loaded before. Loading the same files again (the nightly refresh when the source sent nothing
new), a run that found no files and a rolled-back batch do not make a source fresher; this is
also what dbt's ``_loaded_at`` freshness sees, since unchanged rows keep their load time.
Status boundaries match dbt's and Dagster's: ``fresh`` up to and including
``warn_after_hours``, ``warn`` up to and including ``error_after_hours``, ``stale`` beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from foundation.warehouse import table_exists
from models.freshness import FreshnessRule, FreshnessStatus, load_freshness_rules


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    last_loaded_at: datetime | None  # newest content's first load; naive UTC, as the loader writes
    age_hours: float | None
    expected_every_hours: float
    status: FreshnessStatus



def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _last_loads(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    if not table_exists(con, "raw", "load_audit"):
        return {}
    return dict(
        con.execute(
            """
            with first_loads as (
                select source, file, file_sha256, min(finished_at) as first_loaded_at
                from raw.load_audit
                where outcome = 'loaded'
                group by source, file, file_sha256
            )
            select source, max(first_loaded_at) from first_loads group by source
            """
        ).fetchall()
    )


def source_freshness(
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    rules: dict[str, FreshnessRule] | None = None,
) -> list[SourceFreshness]:
    """Freshness of every source system, in source order (``now`` defaults to the clock, UTC)."""
    rules = rules if rules is not None else load_freshness_rules()
    now = _utc_naive(now) if now is not None else datetime.now(UTC).replace(tzinfo=None)
    last_loads = _last_loads(con)
    report = []
    for source, rule in rules.items():
        last = last_loads.get(source)
        if last is None:
            report.append(SourceFreshness(source, None, None, rule.expected_every_hours, "never_loaded"))
            continue
        age_hours = (now - last).total_seconds() / 3600
        report.append(
            SourceFreshness(source, last, age_hours, rule.expected_every_hours, rule.status(age_hours))
        )
    return report
