"""Calendar helpers.

Contracts, line items and billing periods all start on the first of a month, so most
arithmetic is on month indices (``year * 12 + month - 1``); timestamps are whole seconds (UTC).
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, timedelta

HISTORY_START = date(2023, 1, 1)
_EPOCH = datetime(1970, 1, 1)


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_date(index: int) -> date:
    """First day of the month with the given index."""
    return date(index // 12, index % 12 + 1, 1)


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day."""
    y, m = divmod(month_index(d) + months, 12)
    m += 1
    return date(y, m, min(d.day, _calendar.monthrange(y, m)[1]))


def first_on_or_after(d: date) -> date:
    """First day of a month on or after ``d`` (billing starts on whole months)."""
    return d if d.day == 1 else month_date(month_index(d) + 1)


def add_days(d: date, days: int) -> date:
    return d + timedelta(days=int(days))


def at(d: date, seconds: float) -> datetime:
    """A timestamp ``seconds`` after midnight of ``d`` (whole seconds, so ISO output has none)."""
    return datetime(d.year, d.month, d.day) + timedelta(seconds=int(seconds))


def epoch_seconds(d: date) -> int:
    return int((datetime(d.year, d.month, d.day) - _EPOCH).total_seconds())


def months_between(start: date, end: date) -> int:
    """Whole months from one first-of-month to another."""
    return month_index(end) - month_index(start)
