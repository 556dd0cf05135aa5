"""The common filters in the sidebar, mirrored in the URL so a view can be shared.

Values from the URL are checked against the same choices the widgets offer (months up to the
warehouse date, the viewer's own tenants, known segments, currencies that can be shown for the
tenants picked). A value that is not among them is named in one line (as plain text: a shared
link cannot put its own links or images in the app's notice) and replaced by the default; it
can never widen the viewer's scope, which the data layer enforces anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards.access import DataAccess, Viewer
from dashboards.components import escape_markdown
from dashboards.context import Filters
from dashboards.queries.scope import currency_options, shift_months

DEFAULT_MONTHS = 12
PARAM_FROM, PARAM_TO, PARAM_TENANT, PARAM_SEGMENT, PARAM_CURRENCY = (
    "from", "to", "tenant", "segment", "currency")
_STATE_PREFIX = "opsintel_filter_"
_LOADED_FLAG = f"{_STATE_PREFIX}url_loaded"


@dataclass(frozen=True)
class FilterChoices:
    """What the viewer may pick: months up to the warehouse date, tenants with names, segments."""

    months: tuple[date, ...]
    last_complete_month: date
    tenants: tuple[tuple[str, str, str], ...]  # (tenant_id, name, reporting currency)
    group_currency: str
    segments: tuple[str, ...]

    @property
    def default_period(self) -> tuple[date, date]:
        end = self.last_complete_month
        start = max(shift_months(end, 1 - DEFAULT_MONTHS), self.months[0])
        return start, end

    def currencies(self, tenants: Sequence[str] | None) -> list[str]:
        picked = [row for row in self.tenants if tenants is None or row[0] in tenants]
        return currency_options([(tid, reporting, self.group_currency) for tid, _, reporting in picked])


def last_complete_month(as_of: date) -> date:
    """The as-of month when the as-of date is its last day, else the month before."""
    following = shift_months(date(as_of.year, as_of.month, 1), 1)
    if (following - as_of).days == 1:
        return date(as_of.year, as_of.month, 1)
    return shift_months(date(as_of.year, as_of.month, 1), -1)


def load_choices(access: DataAccess, viewer: Viewer) -> FilterChoices:
    calendar = access.query(viewer, """
        select min(month_start) as first_month, max(date_day) as as_of
        from {dim_date} where is_on_or_before_as_of
    """)
    first_month, as_of = calendar["first_month"].iloc[0], calendar["as_of"].iloc[0]
    first_month, as_of = _as_date(first_month), _as_date(as_of)
    last = last_complete_month(as_of)
    months: list[date] = []
    month = first_month
    while month <= last:
        months.append(month)
        month = shift_months(month, 1)
    tenants = access.query(viewer, """
        select tenant_id, tenant_name, reporting_currency, group_currency
        from {dim_tenant} order by tenant_id
    """)
    segments = access.query(viewer, "select distinct segment from {dim_customer} order by segment")
    return FilterChoices(
        months=tuple(months), last_complete_month=last,
        tenants=tuple((row.tenant_id, row.tenant_name, row.reporting_currency)
                      for row in tenants.itertuples()),
        group_currency=str(tenants["group_currency"].iloc[0]) if len(tenants) else "",
        segments=tuple(str(s) for s in segments["segment"].dropna()),
    )


def parse_month(text: str) -> date | None:
    """``YYYY-MM`` to the month's first day; anything else is None."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not (parts[0].isdigit() and parts[1].isdigit()) or len(parts[0]) != 4:
        return None
    year, month = int(parts[0]), int(parts[1])
    return date(year, month, 1) if 1 <= month <= 12 else None


def filters_from_params(params: Mapping[str, str | Sequence[str]],
                        choices: FilterChoices) -> tuple[Filters, list[str]]:
    """Filters from URL parameters, validated against ``choices``; one problem line per bad value."""
    problems: list[str] = []
    start, end = choices.default_period

    def one(name: str) -> str | None:
        value = params.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else (list(value)[-1] if value else None)

    for name, default in ((PARAM_FROM, start), (PARAM_TO, end)):
        text = one(name)
        if text is None:
            continue
        month = parse_month(text)
        if month is None or month not in choices.months:
            problems.append(f"URL parameter {name}={text!r} is not a month between "
                            f"{choices.months[0]:%Y-%m} and {choices.months[-1]:%Y-%m}: "
                            f"showing {default:%Y-%m}")
        elif name == PARAM_FROM:
            start = month
        else:
            end = month
    if start > end:
        problems.append(f"URL parameters from={start:%Y-%m} and to={end:%Y-%m} are reversed: "
                        "showing the default period")
        start, end = choices.default_period

    tenants: tuple[str, ...] | None = None
    raw = params.get(PARAM_TENANT)
    if raw:
        wanted = [raw] if isinstance(raw, str) else list(raw)
        known = {row[0] for row in choices.tenants}
        unknown = [tenant for tenant in wanted if tenant not in known]
        if unknown:
            problems.append(f"URL parameter tenant={', '.join(unknown)} is not a tenant you can "
                            "see: ignored")
        kept = tuple(tenant for tenant in wanted if tenant in known)
        tenants = kept if kept and len(set(kept)) < len(known) else None

    segment = one(PARAM_SEGMENT)
    if segment is not None and segment not in choices.segments:
        problems.append(f"URL parameter segment={segment!r} is not one of "
                        f"{', '.join(choices.segments)}: showing all segments")
        segment = None

    currency = one(PARAM_CURRENCY)
    allowed = choices.currencies(tenants)
    if currency is not None and currency not in allowed:
        problems.append(f"URL parameter currency={currency!r} cannot be used for these tenants "
                        f"(only {', '.join(allowed)}): showing {allowed[0]}")
        currency = None
    return Filters(start, end, tenants, segment, currency), problems


def filters_to_params(filters: Filters) -> dict[str, str | list[str]]:
    params: dict[str, str | list[str]] = {
        PARAM_FROM: f"{filters.period_start:%Y-%m}", PARAM_TO: f"{filters.period_end:%Y-%m}"}
    if filters.tenants:
        params[PARAM_TENANT] = list(filters.tenants)
    if filters.segment:
        params[PARAM_SEGMENT] = filters.segment
    if filters.currency:
        params[PARAM_CURRENCY] = filters.currency
    return params


def render_filters(access: DataAccess, viewer: Viewer) -> Filters:
    """Draw the filters in the sidebar (first run: from the URL) and keep the URL in step."""
    choices = load_choices(access, viewer)
    state = st.session_state
    if not state.get(_LOADED_FLAG):
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        initial, problems = filters_from_params(params, choices)
        for problem in problems:
            st.warning(escape_markdown(problem))  # quotes the URL: shown as typed, never as links
        # Not the widget's own key: a range slider learns it is a range from ``value=``, on
        # every run, so the first run's range is kept here and passed each time.
        state[f"{_STATE_PREFIX}initial_period"] = (initial.period_start, initial.period_end)
        state[f"{_STATE_PREFIX}tenants"] = list(initial.tenants or [])
        state[f"{_STATE_PREFIX}segment"] = initial.segment
        state[f"{_STATE_PREFIX}currency"] = initial.currency
        state[_LOADED_FLAG] = True

    sidebar = st.sidebar
    period = sidebar.select_slider(
        "Period", options=list(choices.months), key=f"{_STATE_PREFIX}period",
        value=state[f"{_STATE_PREFIX}initial_period"],
        format_func=lambda month: f"{month:%b %Y}",
        help="Months shown; KPIs are for the last month, compared with the month before.")
    tenants: tuple[str, ...] | None = None
    if len(choices.tenants) > 1:
        names = {tid: name for tid, name, _ in choices.tenants}
        picked = sidebar.multiselect(
            "Tenants", options=list(names), key=f"{_STATE_PREFIX}tenants",
            format_func=lambda tid: f"{names.get(tid, tid)} ({tid})", placeholder="All tenants")
        tenants = tuple(picked) if picked and len(picked) < len(names) else None
    segment = sidebar.selectbox(
        "Segment", options=[None, *choices.segments], key=f"{_STATE_PREFIX}segment",
        placeholder="All segments",  # shown while the value is None
        format_func=lambda value: "All segments" if value is None else value.replace("_", " ").title())
    allowed = choices.currencies(tenants)
    if state.get(f"{_STATE_PREFIX}currency") not in (None, *allowed):
        state[f"{_STATE_PREFIX}currency"] = None  # the tenants changed under it
    currency = sidebar.selectbox(
        "Currency", options=[None, *allowed], key=f"{_STATE_PREFIX}currency",
        placeholder=f"Default ({allowed[0]})" if allowed else "Default",
        format_func=lambda value: f"Default ({allowed[0]})" if value is None else value,
        help="Tenants reporting in one currency are shown in it; mixed currencies in the group "
             "currency, converted at each month's rate. Different currencies are never added.")
    filters = Filters(period[0], period[1], tenants, segment, currency)
    st.query_params.from_dict(filters_to_params(filters))
    return filters


def _as_date(value: object) -> date:
    if hasattr(value, "date") and callable(value.date):
        return value.date()  # pandas Timestamp
    assert isinstance(value, date)
    return value
