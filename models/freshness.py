"""Each source system's expected cadence: the freshness rules of ``models/freshness.yml``.

The rules feed three places: the dbt sources YAML (``freshness`` on every raw table), the
Dagster freshness policy of every raw table, and ``reporting.freshness``, which measures each
source's age against them for ``opsintel status`` and the dashboards' Data health page.
Status boundaries match dbt's and Dagster's: ``fresh`` up to and including
``warn_after_hours``, ``warn`` up to and including ``error_after_hours``, ``stale`` beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from models.contract import SOURCE_SYSTEMS

MODELS_DIR = Path(__file__).resolve().parent
FRESHNESS_YML = MODELS_DIR / "freshness.yml"
LIMITS = ("expected_every_hours", "warn_after_hours", "error_after_hours")

FreshnessStatus = Literal["fresh", "warn", "stale", "never_loaded"]


class FreshnessConfigError(ValueError):
    """``models/freshness.yml`` is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class FreshnessRule:
    """Expected cadence of one source system and the ages at which it warns and errors."""

    source: str
    expected_every_hours: float
    warn_after_hours: float
    error_after_hours: float

    def status(self, age_hours: float) -> FreshnessStatus:
        if age_hours <= self.warn_after_hours:
            return "fresh"
        if age_hours <= self.error_after_hours:
            return "warn"
        return "stale"


def _limits(where: str, raw: object, fallback: dict[str, float] | None) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise FreshnessConfigError(f"{where}: expected a mapping of {', '.join(LIMITS)}")
    unknown = sorted(set(raw) - set(LIMITS))
    if unknown:
        raise FreshnessConfigError(f"{where}.{unknown[0]}: unknown setting (known: {', '.join(LIMITS)})")
    limits: dict[str, float] = {}
    for name in LIMITS:
        if name not in raw:
            if fallback is None:
                raise FreshnessConfigError(f"{where}.{name}: missing")
            limits[name] = fallback[name]
            continue
        value = raw[name]
        # bool is an int in Python; `true` hours is a typo, not 1.
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise FreshnessConfigError(f"{where}.{name}: must be a positive number of hours, got {value!r}")
        limits[name] = float(value)
    if limits["warn_after_hours"] < limits["expected_every_hours"]:
        raise FreshnessConfigError(f"{where}.warn_after_hours: must be at least expected_every_hours")
    if limits["error_after_hours"] <= limits["warn_after_hours"]:
        raise FreshnessConfigError(f"{where}.error_after_hours: must be more than warn_after_hours")
    return limits


def parse_freshness_rules(text: str, label: str = "freshness.yml") -> dict[str, FreshnessRule]:
    """One rule per source system, in source order; ``label`` names the file in errors."""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise FreshnessConfigError(f"{label}:{line} is not valid YAML") from None
    if not isinstance(document, dict):
        raise FreshnessConfigError(f"{label}: expected a mapping with 'defaults' and 'sources'")
    defaults = _limits(f"{label}: defaults", document.get("defaults"), None)
    sources = document.get("sources") or {}
    if not isinstance(sources, dict):
        raise FreshnessConfigError(f"{label}: sources: expected a mapping of source system to limits")
    unknown = sorted(set(sources) - set(SOURCE_SYSTEMS))
    if unknown:
        raise FreshnessConfigError(
            f"{label}: sources.{unknown[0]}: unknown source system (known: {', '.join(SOURCE_SYSTEMS)})"
        )
    return {
        source: FreshnessRule(
            source, **_limits(f"{label}: sources.{source}", sources.get(source, {}) or {}, defaults)
        )
        for source in SOURCE_SYSTEMS
    }


@cache
def load_freshness_rules(path: Path = FRESHNESS_YML) -> dict[str, FreshnessRule]:
    root = MODELS_DIR.parent
    label = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FreshnessConfigError(f"{label}: cannot be read ({exc.strerror})") from None
    return parse_freshness_rules(text, label)


