"""Freshness of the raw tables, from each source's cadence in ``models/freshness.yml``.

The same file drives the dbt sources' ``freshness`` and ``opsintel status``, so Dagster, dbt
and the status page agree on when a source is late. Dagster shows it two ways:

- a ``FreshnessPolicy`` per raw table (evaluated by the freshness daemon of ``dagster dev``):
  WARN after ``warn_after_hours``, FAIL after ``error_after_hours`` without a materialization,
  i.e. when the loads themselves stopped;
- the ``export_fresh`` asset check per raw table, run by each load: the age of the source's
  newest export content (``reporting.freshness``), which also catches a source that stopped
  sending new files while the nightly refresh keeps reloading the old ones.
"""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from models import Contract
from models.freshness import FreshnessRule, load_freshness_rules
from orchestration.lib.keys import raw_asset_key
from reporting.freshness import SourceFreshness

FRESHNESS_CHECK = "export_fresh"


def raw_freshness_policy(source: str) -> dg.FreshnessPolicy:
    rule = load_freshness_rules()[source]
    return dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=rule.error_after_hours),
        warn_window=timedelta(hours=rule.warn_after_hours),
    )


def _limits(rule: FreshnessRule) -> str:
    return (
        f"expected every {rule.expected_every_hours:g} h, warns after "
        f"{rule.warn_after_hours:g} h, stale after {rule.error_after_hours:g} h"
    )


def freshness_check_specs(source: str, contracts: list[Contract]) -> list[dg.AssetCheckSpec]:
    rule = load_freshness_rules()[source]
    return [
        dg.AssetCheckSpec(
            name=FRESHNESS_CHECK,
            asset=raw_asset_key(contract.name),
            description=f"The {source} source sent new export content recently enough "
            f"({_limits(rule)}; models/freshness.yml).",
        )
        for contract in contracts
    ]


def freshness_check_results(
    freshness: SourceFreshness, contracts: list[Contract]
) -> Iterator[dg.AssetCheckResult]:
    """The source's freshness as the ``export_fresh`` result of each of its raw tables."""
    rule = load_freshness_rules()[freshness.source]
    if freshness.age_hours is None:
        description = f"{freshness.source} has never loaded an export"
    else:
        description = (
            f"{freshness.source}: newest export content loaded {freshness.age_hours:.1f} h ago "
            f"({_limits(rule)})"
        )
    metadata = {
        "status": freshness.status,
        "last_loaded_at": str(freshness.last_loaded_at) if freshness.last_loaded_at else "never",
        "expected_every_hours": freshness.expected_every_hours,
    }
    if freshness.age_hours is not None:
        metadata["age_hours"] = round(freshness.age_hours, 2)
    for contract in contracts:
        yield dg.AssetCheckResult(
            asset_key=raw_asset_key(contract.name),
            check_name=FRESHNESS_CHECK,
            passed=freshness.status == "fresh",
            severity=dg.AssetCheckSeverity.WARN
            if freshness.status == "warn"
            else dg.AssetCheckSeverity.ERROR,
            description=description,
            metadata=metadata,
        )
