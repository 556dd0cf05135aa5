"""Signing in and out of the dashboards: the password form, optional single sign-on, sign-out.

The signed-in ``Viewer`` lives in the session (server side, out of the browser's reach) and is
checked against the users file on every run, so removing a user or changing their role or
tenants takes effect on their next click. Single sign-on (``st.login``) is offered when
``.streamlit/secrets.toml`` has an ``[auth]`` section; the account's e-mail must match a user
in the users file, which gives the role and tenants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboards.access import Viewer
from dashboards.auth import Authenticator
from dashboards.context import CONTEXT_KEY

VIEWER_KEY = "opsintel_viewer"
SIGN_IN_FORM = "sign_in"


def _auth_secrets() -> Mapping[str, Any]:
    """The ``[auth]`` section of the Streamlit secrets, or {} when there is none."""
    try:
        section = st.secrets.get("auth")
    except (FileNotFoundError, StreamlitAPIException):
        return {}
    return section if isinstance(section, Mapping) else {}


def oidc_providers(section: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(button label, provider argument for ``st.login``) for each configured provider."""
    providers: list[tuple[str, str | None]] = []
    if "client_id" in section:
        providers.append((str(section.get("provider_label", "single sign-on")), None))
    for name, value in section.items():
        if isinstance(value, Mapping) and "client_id" in value:
            providers.append((str(value.get("provider_label", name.capitalize())), name))
    return providers


def _oidc_user() -> Mapping[str, Any] | None:
    """The single-sign-on identity of this browser, when sign-on is configured and done."""
    if not _auth_secrets():
        return None
    user = st.user.to_dict()
    return user if user.get("is_logged_in") else None


def signed_in_viewer(authenticator: Authenticator) -> Viewer | None:
    """The session's viewer as the users file says now, or None (not signed in)."""
    stored = st.session_state.get(VIEWER_KEY)
    if isinstance(stored, Viewer):
        current = authenticator.current_viewer(stored.username)
        if current is None:
            sign_out_session()
            st.session_state["opsintel_signin_notice"] = "Your account no longer has access."
            return None
        st.session_state[VIEWER_KEY] = current
        return current
    identity = _oidc_user()
    if identity is not None and identity.get("email_verified", True) is not False:
        viewer = authenticator.viewer_for_email(identity.get("email"))
        if viewer is not None:
            st.session_state[VIEWER_KEY] = viewer
            return viewer
    return None


def sign_out_session() -> None:
    for key in (VIEWER_KEY, CONTEXT_KEY):
        st.session_state.pop(key, None)


def render_sign_in(authenticator: Authenticator) -> None:
    """The sign-in page: password form, and single-sign-on buttons when configured."""
    st.title("opsintel")
    st.caption("Operational intelligence: sign in to see your dashboards.")
    notice = st.session_state.pop("opsintel_signin_notice", None)
    if notice:
        st.info(notice)
    if not authenticator.users():
        st.info(f"No users yet in {authenticator.users_path}: run `opsintel users demo` "
                "(sample company) or `opsintel users add NAME --role admin --tenants all`.")
    _render_oidc(authenticator)
    with st.form(SIGN_IN_FORM):
        username = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        result = authenticator.authenticate(username, password)
        if result.ok:
            st.session_state[VIEWER_KEY] = result.viewer
            st.rerun()
        st.error(result.message)


def _render_oidc(authenticator: Authenticator) -> None:
    section = _auth_secrets()
    identity = _oidc_user()
    if identity is not None:
        email = identity.get("email") or "(no e-mail)"
        if identity.get("email_verified", True) is False:
            st.error(f"The e-mail {email} is not verified by the sign-on provider: access denied.")
        else:
            st.error(f"{email} has no dashboard access: an admin can add it with "
                     f"`opsintel users add NAME --role ROLE --tenants T --email {email} --no-password`.")
        if st.button("Sign out of single sign-on"):
            st.logout()
        return
    for label, provider in oidc_providers(section):
        if st.button(f"Sign in with {label}", key=f"oidc_{provider or 'default'}"):
            try:
                st.login(provider)
            except StreamlitAPIException as exc:
                st.error(f"Single sign-on is not available: {str(exc).splitlines()[0]}")


def render_account(viewer: Viewer) -> None:
    """Who is signed in, and the sign-out button, in the sidebar."""
    scope = "all tenants" if viewer.sees_all_tenants else ", ".join(sorted(viewer.tenants or ()))
    st.sidebar.caption(f"Signed in as **{viewer.username}** ({viewer.role}; {scope})")
    if st.sidebar.button("Sign out", key="sign_out"):
        sign_out_session()
        if _oidc_user() is not None:
            st.logout()
        st.rerun()
