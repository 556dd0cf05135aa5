"""The building blocks of every page: KPI tiles, charts with the rows behind them, tables that
download as CSV, one-line empty states, and page data loaded through the cache.

Two rules for what users and the data supply: text shown in an element that renders Markdown
goes through ``escape_markdown`` (it can never become a link, an image or markup), and every
CSV download is made by ``csv_bytes`` (a spreadsheet never runs a cell as a formula).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any, TypeVar

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.access import AccessDenied
from dashboards.cache import cached
from dashboards.context import PageContext
from dashboards.queries.scope import EmptyScope, MartNotBuilt
from foundation.warehouse import WarehouseError

T = TypeVar("T")

_SCALES = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


# -- formatting ----------------------------------------------------------------------------

def format_money(value: float | None, currency: str | None) -> str:
    """Executive money: ``USD 9.34M``; below a thousand, whole units."""
    if value is None or pd.isna(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    magnitude = abs(float(value))
    for threshold, suffix in _SCALES:
        if magnitude >= threshold:
            return f"{currency or ''} {sign}{magnitude / threshold:,.2f}{suffix}".strip()
    return f"{currency or ''} {sign}{magnitude:,.0f}".strip()


def format_exact_money(value: float | None, currency: str | None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{currency or ''} {float(value):,.2f}".strip()


def format_percent(value: float | None, decimals: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{float(value) * 100:.{decimals}f}%"


def format_count(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{float(value):,.0f}"


def format_days(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{float(value):,.1f}"


def change_vs_last_month(value: float | None, previous: float | None, kind: str) -> str | None:
    """The tile's delta: relative change for money and counts, points for percentages, days
    for durations."""
    if value is None or previous is None:
        return None
    if kind == "percent":
        return f"{(value - previous) * 100:+.1f} pp vs last month"
    if kind == "days":
        return f"{value - previous:+.1f} days vs last month"
    if previous == 0:
        return None
    return f"{(value - previous) / abs(previous) * 100:+.1f}% vs last month"


# -- untrusted text ------------------------------------------------------------------------

_ASCII_PUNCTUATION = frozenset(string.punctuation)
# Streamlit links web and e-mail addresses found in text after Markdown's backslash escapes are
# resolved, so escaping cannot stop it: an invisible word joiner where such an address starts
# ("http:", "https:", "www.", "@") leaves it plain text.
_AUTOLINK_START = re.compile(r"(?i)(?<=http)(?=:)|(?<=https)(?=:)|(?<=www)(?=\.)|(?=@)")
_WORD_JOINER = "\u2060"
# Spreadsheets run a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_markdown(text: object) -> str:
    """Markdown that Streamlit shows as exactly ``text``, on one line: no link, image, HTML,
    emphasis, heading, icon or math. For anything a user or the data supplies (URL
    parameters, names, messages quoting them) on its way to st.warning, st.markdown and the like."""
    # Line breaks and other invisible characters as Python writes them ("\n"): one line, and
    # nothing hidden in it.
    visible = "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))
    joined = _AUTOLINK_START.sub(_WORD_JOINER, visible)
    return "".join(f"\\{char}" if char in _ASCII_PUNCTUATION else char for char in joined)


def neutralise_formula(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` (then it is text);
    anything else (numbers, negative ones too, dates, missing values) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV download of ``frame`` (UTF-8, no index, CRLF rows). Every download of the app is made here,
    so no cell in one runs as a formula; the frame itself (the table on screen) is unchanged."""
    safe = frame.copy()
    for position, dtype in enumerate(safe.dtypes):  # by position: column names may repeat
        if _may_hold_text(dtype):
            safe.isetitem(position, safe.iloc[:, position].astype(object).map(neutralise_formula))
    # CRLF rows (RFC 4180): a cell holding a carriage return is then quoted, not split.
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def _may_hold_text(dtype: object) -> bool:
    """Text columns: object, str (pandas 3), category, Arrow strings; not numbers, booleans or
    dates, whose negative values must stay numbers."""
    api = pd.api.types
    return not (api.is_numeric_dtype(dtype) or api.is_bool_dtype(dtype)
                or api.is_datetime64_any_dtype(dtype) or api.is_timedelta64_dtype(dtype))


# -- data ----------------------------------------------------------------------------------

def load(query: Callable[..., T], context: PageContext, *extra: Any) -> T | None:
    """Page data through the cache; a mart not built yet or an empty scope becomes one line on
    the page and None, a missing warehouse stops the page with one line."""
    try:
        return cached(query, context.access, context.viewer, context.filters, *extra)
    except MartNotBuilt as missing:
        st.info(str(missing))
    except (EmptyScope, AccessDenied, ValueError) as refused:
        st.warning(escape_markdown(refused))  # may quote a filter value
    except WarehouseError as no_warehouse:
        st.error(escape_markdown(no_warehouse))
        st.stop()
    return None


# -- elements ------------------------------------------------------------------------------

def kpi_tile(label: str, value: float | None, previous: float | None, kind: str, *,
             currency: str | None = None, meaning: str = "", lower_is_better: bool = False) -> None:
    """A KPI with its change vs last month; the help text holds the exact figure and its meaning."""
    if kind == "money":
        shown, exact = format_money(value, currency), format_exact_money(value, currency)
    elif kind == "percent":
        shown, exact = format_percent(value), format_percent(value, 4)
    elif kind == "days":
        shown, exact = format_days(value), format_days(value)
    else:
        shown, exact = format_count(value), format_count(value)
    st.metric(label, shown, delta=change_vs_last_month(value, previous, kind),
              delta_color="inverse" if lower_is_better else "normal",
              help=f"Exact: {exact}. {meaning}".strip(), border=True)


def empty_state(message: str) -> None:
    """One line saying why there is nothing to show."""
    st.caption(f":material/info: {message}")


def data_table(frame: pd.DataFrame, name: str, *, key: str, empty: str = "No rows.") -> None:
    """A sortable table with a CSV download of exactly the rows shown."""
    if frame is None or frame.empty:
        empty_state(empty)
        return
    st.dataframe(frame, hide_index=True, key=f"{key}_table")
    st.download_button(
        "Download CSV", csv_bytes(frame),
        file_name=f"{_slug(name)}.csv", mime="text/csv", key=f"{key}_csv",
        icon=":material/download:", on_click="ignore",
    )


def chart_with_rows(chart: alt.Chart | None, rows: pd.DataFrame | None, name: str, *, key: str,
                    caption: str = "", empty: str = "Nothing to chart for these filters.") -> None:
    """A chart, what it means, and the rows behind it one click away (with a CSV download)."""
    if rows is None or rows.empty or chart is None:
        empty_state(empty)
        return
    st.altair_chart(chart, width="stretch")
    if caption:
        st.caption(caption)
    with st.expander(f"Rows behind this chart ({len(rows):,})"):
        data_table(rows, name, key=key)


def month_axis(field: str = "month_start", title: str = "Month") -> alt.X:
    return alt.X(f"{field}:T", title=title, axis=alt.Axis(format="%b %Y"))


def month_bands(field: str = "month_start", title: str = "Month") -> alt.X:
    """One band per month, for bar charts (a time axis draws bars as thin lines)."""
    return alt.X(f"yearmonth({field}):O", title=title,
                 axis=alt.Axis(format="%b %Y", formatType="time", labelAngle=0))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
