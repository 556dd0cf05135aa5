"""The dashboards' entry point (``streamlit run dashboards/app.py``; ``opsintel serve`` runs it).

Every run: sign-in gate (only the sign-in page exists until a user signs in), then the pages
the user's role may open, the common filters in the sidebar, and one ``PageContext`` stored in
the session for the page to read. The warehouse is read through one ``DataAccess`` per process
on the published snapshot, read-only and tenant-scoped.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import signin
from dashboards.access import DataAccess, Viewer
from dashboards.auth import Authenticator, UsersFileError
from dashboards.components import escape_markdown
from dashboards.context import CONTEXT_KEY, PageContext, pages_for
from dashboards.filters import render_filters
from foundation.settings import users_path, warehouse_path
from foundation.warehouse import WarehouseError

PAGES_DIR = Path(__file__).resolve().parent / "views"


@st.cache_resource(show_spinner=False)
def _authenticator(path: str) -> Authenticator:
    return Authenticator(Path(path))


@st.cache_resource(show_spinner=False)
def _data_access(path: str) -> DataAccess:
    return DataAccess(Path(path))


def _pages(viewer: Viewer) -> list[st.Page]:
    pages = []
    for spec in pages_for(viewer.role):
        file = PAGES_DIR / spec.file
        if not file.is_file():
            st.sidebar.warning(f"{spec.title}: page not available yet ({file.name} missing).")
            continue
        pages.append(st.Page(file, title=spec.title, url_path=spec.url_path, icon=spec.icon))
    return pages


def _stop_with(message: str, viewer: Viewer | None = None) -> None:
    """One line and nothing else; the message may quote the users file or a path: plain text."""
    if viewer is not None:
        signin.render_account(viewer)
    st.error(escape_markdown(message))
    st.stop()


def main() -> None:
    st.set_page_config(page_title="opsintel", page_icon=":material/insights:", layout="wide")
    authenticator = _authenticator(str(users_path()))
    try:
        authenticator.users()  # a bad file stops here, in one line, for everyone
        viewer = signin.signed_in_viewer(authenticator)
    except UsersFileError as exc:
        signin.sign_out_session()
        _stop_with(str(exc))
        return
    if viewer is None:
        st.navigation([st.Page(lambda: signin.render_sign_in(authenticator), title="Sign in",
                               url_path="sign-in", icon=":material/login:")],
                      position="hidden").run()
        return

    access = _data_access(str(warehouse_path()))
    try:
        access.tables()
    except WarehouseError as exc:
        _stop_with(f"{exc}. Then reload this page.", viewer)
        return
    pages = _pages(viewer)
    if not pages:
        _stop_with("No dashboard page is available for your role yet.", viewer)
        return
    navigation = st.navigation(pages)
    signin.render_account(viewer)
    st.session_state[CONTEXT_KEY] = PageContext(viewer, access, render_filters(access, viewer))
    try:
        navigation.run()
    finally:
        # The context lives for this run only: a page file ever run without this script finds
        # none, so page_context() stops it instead of reusing an older one.
        st.session_state.pop(CONTEXT_KEY, None)


main()
