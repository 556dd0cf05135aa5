"""The checks of a source, and the GX expectation suites built from them.

``check_specs`` / ``check_names`` need no GX import (Dagster reads the names when it loads its
definitions); building suites imports GX.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.quality.business import EXPECTATIONS_DIR, ExpectationsFileError, business_checks
from ingestion.quality.contract_checks import contract_checks
from ingestion.quality.specs import CheckSpec
from models import SOURCE_SYSTEMS, Contract, contracts_by_source, load_contracts

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.expectations import Expectation


def check_specs(source: str, contracts: dict[str, Contract] | None = None,
                expectations_dir: Path = EXPECTATIONS_DIR) -> list[CheckSpec]:
    """Every check of ``source``: per raw table, the contract's checks then the declared ones."""
    if source not in SOURCE_SYSTEMS:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCE_SYSTEMS)}")
    contracts = contracts or load_contracts()
    declared = business_checks(source, contracts, expectations_dir)
    specs: list[CheckSpec] = []
    for contract in contracts_by_source(contracts)[source]:
        specs += contract_checks(contract)
        specs += [c for c in declared if c.entity == contract.name]
    _require_unique_names(specs)
    return specs


def check_names(source: str) -> dict[str, list[tuple[str, str]]]:
    """Raw table -> [(check_name, severity)], known without running anything."""
    names: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for spec in check_specs(source):
        names[spec.entity].append((spec.name, spec.severity))
    return dict(names)


def source_suite(specs: list[CheckSpec], source: str) -> ExpectationSuite:
    """All checks of a source as one suite (``raw_<source>``), e.g. to review or export."""
    from ingestion.quality.gx_runtime import gx

    return gx.ExpectationSuite(name=f"raw_{source}",
                               expectations=[to_expectation(s) for s in specs if s.source == source])


def frame_suites(specs: list[CheckSpec]) -> dict[str, ExpectationSuite]:
    """One suite per frame the checks run on (GX validates a suite against one batch)."""
    from ingestion.quality.gx_runtime import gx

    grouped: dict[str, list[CheckSpec]] = defaultdict(list)
    for spec in specs:
        grouped[spec.suite_name].append(spec)
    return {name: gx.ExpectationSuite(name=name, expectations=[to_expectation(s) for s in group])
            for name, group in grouped.items()}


def to_expectation(spec: CheckSpec) -> Expectation:
    """The GX expectation of a check; its meta carries the check's identity back to the outcome."""
    from ingestion.quality.gx_runtime import get_expectation_impl

    try:
        impl = get_expectation_impl(spec.expectation)
        return impl(**spec.kwargs, severity=spec.severity,
                    meta={"source": spec.source, "entity": spec.entity, "check_name": spec.name},
                    description=spec.description or None)
    except Exception as exc:  # noqa: BLE001  unknown expectation, or arguments GX rejects
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExpectationsFileError(
            f"{spec.origin}: check {spec.entity}.{spec.name}: {spec.expectation} cannot be built ({first})"
        ) from None


def _require_unique_names(specs: list[CheckSpec]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for spec in specs:
        key = (spec.entity, spec.name)
        if key in seen:
            raise ExpectationsFileError(
                f"{spec.origin}: check name {spec.entity}.{spec.name} is already used by {seen[key]}"
            )
        seen[key] = spec.origin
