"""Data-quality checks of the raw tables as Dagster asset checks, and what a failure blocks.

The checks themselves are the Great Expectations suites of ``ingestion.quality``; here they
become one ``AssetCheckSpec`` per (table, check) on the raw assets, executed by each source's
load op right after its batch (see ``orchestration.defs.ingestion``). A failed critical check
shows as an ERROR check and keeps the dbt build from rebuilding the models downstream of that
source (every other source still builds); a failed warning shows as WARN and blocks nothing.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping

import dagster as dg

from ingestion.quality import CheckOutcome, check_names
from models import contracts_by_source
from orchestration.lib.keys import RAW_SCHEMA, raw_asset_key

SEVERITIES = {"critical": dg.AssetCheckSeverity.ERROR, "warning": dg.AssetCheckSeverity.WARN}


def quality_check_specs(source: str) -> list[dg.AssetCheckSpec]:
    """One spec per (raw table, check) of the source's suites, known without running them."""
    specs: dict[dg.AssetCheckKey, dg.AssetCheckSpec] = {}
    for entity, checks in check_names(source).items():
        for check_name, severity in checks:
            spec = dg.AssetCheckSpec(
                name=check_name,  # [A-Za-z0-9_]+, as Dagster needs (ingestion.quality checks it)
                asset=raw_asset_key(entity),
                description=f"{severity.capitalize()} check of the {source} suite: {check_name}.",
                metadata={"severity": severity},
            )
            if spec.key in specs:
                raise ValueError(f"{source}: two checks of {entity} are both named {spec.name!r}")
            specs[spec.key] = spec
    return list(specs.values())


def check_results(
    outcomes: Iterable[CheckOutcome],
    specs: Iterable[dg.AssetCheckSpec],
    log: Callable[[str], None],
) -> Iterator[dg.AssetCheckResult]:
    """The outcomes of a suite run as check results, for the declared checks only."""
    declared = {spec.key for spec in specs}
    for outcome in outcomes:
        key = dg.AssetCheckKey(raw_asset_key(outcome.entity), outcome.check_name)
        if key not in declared:
            # Dagster rejects results of undeclared checks; the suite changed since load time.
            log(f"{outcome.source}: check {outcome.check_name!r} on {outcome.entity} is not "
                "declared (reload the definitions); its result is in quality.check_results")
            continue
        if not outcome.passed:
            log(f"{outcome.severity} check failed: {RAW_SCHEMA}.{outcome.entity} "
                f"{outcome.check_name}: {outcome.message}")
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=outcome.passed,
            severity=SEVERITIES[outcome.severity],
            description=outcome.message,
            metadata={
                "unexpected_count": outcome.unexpected_count,
                "element_count": outcome.element_count,
                "message": outcome.message,
            },
        )


def blocked_excludes(
    blocked: Mapping[str, list[str]], log: Callable[[str], None]
) -> list[str]:
    """dbt ``--exclude`` arguments for every model downstream of a blocked source's tables.

    ``blocked`` is ``ingestion.quality.blocked_sources``: the failed critical checks of each
    source's latest run. One line is logged per blocked source.
    """
    tables = contracts_by_source()
    selectors: list[str] = []
    for source, messages in sorted(blocked.items()):
        entities = [c.name for c in tables.get(source, [])]
        if not entities:
            log(f"{source}: blocked by failed critical checks but has no raw tables; ignored")
            continue
        first = messages[0] if messages else "no message"
        more = f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""
        log(
            f"not building models downstream of source {source} ({len(entities)} raw tables): "
            f"{len(messages)} critical check(s) failed: {first}{more}"
        )
        selectors += [f"source:{RAW_SCHEMA}.{entity}+" for entity in entities]
    return ["--exclude", " ".join(selectors)] if selectors else []
