"""Which marts and which currency columns a page query reads for a viewer and filters.

Money is never added across currencies. When every tenant in view reports in one currency the
pages read the reporting-currency columns; otherwise (or when the viewer asks for it) they read
the group-currency columns, which dbt converted at each month's rate. A viewer of every tenant
looking at every tenant in the group currency reads the consolidated marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters


class EmptyScope(ValueError):
    """No tenant is left once the viewer's scope and the picked tenants are intersected."""


@dataclass(frozen=True)
class Scope:
    """How a page query reads the marts for one viewer and one set of filters."""

    tenants: tuple[str, ...]
    request: tuple[str, ...] | None  # the ``tenants=`` argument of DataAccess.query
    currency: str
    group: bool  # figures in the group currency (``*_group`` columns)
    consolidated: bool  # read the ``*_consolidated`` marts

    def pick(self, reporting_column: str, group_column: str) -> str:
        """The column holding the figure in this scope's currency (a code constant, never input)."""
        return group_column if self.group else reporting_column


def tenant_currencies(access: DataAccess, viewer: Viewer,
                      tenants: tuple[str, ...] | None) -> list[tuple[str, str, str]]:
    """(tenant_id, reporting_currency, group_currency) of the viewer's (picked) tenants."""
    frame = access.query(
        viewer,
        "select tenant_id, reporting_currency, group_currency from {dim_tenant} order by tenant_id",
        tenants=tenants,
    )
    return list(frame.itertuples(index=False, name=None))


def currency_options(rows: list[tuple[str, str, str]]) -> list[str]:
    """Currencies figures can be shown in: the shared reporting currency first, then the group's."""
    if not rows:
        return []
    reporting = {row[1] for row in rows}
    group = rows[0][2]
    if len(reporting) == 1 and next(iter(reporting)) != group:
        return [next(iter(reporting)), group]
    return [group]


def resolve_scope(access: DataAccess, viewer: Viewer, filters: Filters) -> Scope:
    """The scope of one page load; remembered per snapshot, since a page asks for it per query."""
    return _resolve_scope(access, access.snapshot, viewer, filters)


def forget_scopes() -> None:
    _resolve_scope.cache_clear()


@lru_cache(maxsize=256)
def _resolve_scope(access: DataAccess, snapshot: Path, viewer: Viewer, filters: Filters) -> Scope:
    every = access.tenant_ids()
    picked = None if filters.tenants is None else tuple(filters.tenants)
    if viewer.sees_all_tenants and picked is not None and set(picked) >= set(every):
        picked = None  # every tenant picked: the same as no pick, so consolidated marts apply
    rows = tenant_currencies(access, viewer, picked)
    if not rows:
        raise EmptyScope("none of the selected tenants is visible to you")
    options = currency_options(rows)
    currency = filters.currency if filters.currency is not None else options[0]
    if currency not in options:
        raise ValueError(f"figures for these tenants can be shown in {' or '.join(options)}, "
                         f"not {currency}")
    reporting = {row[1] for row in rows}
    group = not (len(reporting) == 1 and currency in reporting)
    tenants = tuple(row[0] for row in rows)
    consolidated = group and viewer.sees_all_tenants and picked is None
    return Scope(tenants=tenants, request=picked, currency=currency, group=group,
                 consolidated=consolidated)


def month_params(filters: Filters) -> dict[str, Any]:
    """Bound parameters every page query may use: the period's first and last month, the segment."""
    return {
        "start": _month_start(filters.period_start),
        "end": _month_start(filters.period_end),
        "segment": filters.segment,
    }


def previous_month(month: date) -> date:
    return shift_months(month, -1)


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


# Customers of the picked segment (every customer when none is picked); ``alias`` is a
# dim_customer (or any table with a segment column) in the query.
def segment_match(alias: str) -> str:
    return f"(cast($segment as varchar) is null or {alias}.segment = $segment)"


def run(access: DataAccess, viewer: Viewer, scope: Scope, sql: str,
        params: dict[str, Any]) -> Any:
    """Run page SQL in this scope (the tenants picked, intersected with the viewer's by the layer)."""
    return access.query(viewer, sql, params, tenants=scope.request)


def shift_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


SCORES_NOT_BUILT = "Renewal risk scores are not built yet: run `make materialize`"
REVIEW_QUEUE_NOT_BUILT = "The billing review queue is not built yet: run `make materialize`"


class MartNotBuilt(LookupError):
    """A mart the page reads is not in the published warehouse yet (the message says what to run)."""


def require_mart(access: DataAccess, name: str, message: str) -> None:
    if not access.has_table(name):
        raise MartNotBuilt(message)


# Age buckets (days) of exceptions and unbilled work, as the marts name them.
AGE_BUCKETS = ("0-30", "31-60", "61-90", "91-180", "181+")
