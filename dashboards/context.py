"""What every page gets from the app: who is looking, the data access and the common filters.

The app (``dashboards/app.py``) signs the user in, draws the common filters in the sidebar and
stores one ``PageContext`` in the session before running the page; pages read it with
``page_context()`` and never build their own access or viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dashboards.access import DataAccess, Role, Viewer

CONTEXT_KEY = "opsintel_page_context"


@dataclass(frozen=True)
class Filters:
    """The common filters. ``tenants`` None means every tenant the viewer may see."""

    period_start: date
    period_end: date
    tenants: tuple[str, ...] | None = None
    segment: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class PageContext:
    viewer: Viewer
    access: DataAccess
    filters: Filters


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its file under dashboards/views, title, URL path and who may open it."""

    file: str
    title: str
    url_path: str
    icon: str
    roles: tuple[Role, ...] = ("executive", "analyst", "admin")


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "Overview", "overview", ":material/dashboard:"),
    PageSpec("revenue.py", "Revenue", "revenue", ":material/trending_up:"),
    PageSpec("billing_operations.py", "Billing operations", "billing", ":material/receipt_long:"),
    PageSpec("delivery.py", "Delivery", "delivery", ":material/rocket_launch:"),
    PageSpec("supply_chain.py", "Supply chain", "supply-chain", ":material/inventory_2:"),
    PageSpec("renewals.py", "Renewals", "renewals", ":material/autorenew:"),
    PageSpec("partners.py", "Partners", "partners", ":material/handshake:"),
    PageSpec("data_health.py", "Data health", "data-health", ":material/monitor_heart:"),
    PageSpec("users.py", "Users", "users", ":material/group:", roles=("admin",)),
)


def pages_for(role: Role) -> tuple[PageSpec, ...]:
    return tuple(page for page in PAGES if role in page.roles)


def page_context() -> PageContext:
    """The context the app stored for this run; stops the page when it is missing (not signed in)."""
    import streamlit as st

    context = st.session_state.get(CONTEXT_KEY)
    if not isinstance(context, PageContext):
        st.error("Sign in first.")
        st.stop()
    return context
