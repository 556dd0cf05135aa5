"""The period and the viewers the page-query tests read the built 2-tenant company with."""

from datetime import date

from dashboards.access import Viewer
from dashboards.context import Filters

START, END = date(2025, 11, 1), date(2026, 10, 1)
PERIOD = Filters(START, END)
ANALYST = Viewer("ana", "analyst", None)
EXEC_USD = Viewer("eve", "executive", frozenset({"TEN-001"}))
EXEC_EUR = Viewer("eric", "executive", frozenset({"TEN-002"}))
# Sees both tenants but is not an all-tenant viewer: no consolidated marts, group currency.
EXEC_BOTH = Viewer("bo", "executive", frozenset({"TEN-001", "TEN-002"}))
