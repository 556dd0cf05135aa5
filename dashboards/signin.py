"""Signing in and out of the dashboards: the password form, optional single sign-on, sign-out.

The signed-in ``Viewer`` lives in the session (server side, out of the browser's reach) and is
checked against the users file on every run, so removing a user or changing their role or
tenants takes effect on their next click. Single sign-on (``st.login``) is offered when
``.streamlit/secrets.toml`` has an ``[auth]`` section; the account's e-mail must match a user
in the users file, which gives the role and tenants.

Every sign-in goes through ``Authenticator`` with the client's address, so the per-user and
per-client lockouts apply and each attempt is logged. Text a user or a sign-on provider
supplies (names, e-mails) is escaped before it reaches a Markdown-rendering element.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboards.access import Viewer
from dashboards.auth import Authenticator
from dashboards.components import escape_markdown
from dashboards.context import CONTEXT_KEY
from dashboards.signin_attempts import SignInStoreError

VIEWER_KEY = "opsintel_viewer"
SIGN_IN_FORM = "sign_in"
SSO_REFUSAL_LOGGED_KEY = "opsintel_sso_refusal_logged"
NOTICE_KEY = "opsintel_signin_notice"  # Markdown: escape what a user supplied


def client_address() -> str | None:
    """The client's address as Streamlit saw it: the TCP peer (or what a proxy on this host
    forwarded); None on localhost and outside a browser session. Request headers such as
    X-Forwarded-For are not read: any client can set them."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


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
            st.session_state[NOTICE_KEY] = "Your account no longer has access."
            return None
        st.session_state[VIEWER_KEY] = current
        return current
    identity = _oidc_user()
    if identity is not None and identity.get("email_verified", True) is not False:
        return _single_sign_on_viewer(authenticator, str(identity.get("email") or ""))
    return None


def _single_sign_on_viewer(authenticator: Authenticator, email: str) -> Viewer | None:
    """The viewer a verified sign-on e-mail maps to, logged; None when it has no user (logged
    once per session, not on every rerun) or when the sign-in cannot be logged."""
    user = authenticator.user_for_email(email)
    try:
        if user is not None:
            authenticator.log_single_sign_on(email, client_address(), user)
            st.session_state[VIEWER_KEY] = user.viewer()
            return user.viewer()
        if st.session_state.get(SSO_REFUSAL_LOGGED_KEY) != email:
            authenticator.log_single_sign_on(email, client_address(), None)
            st.session_state[SSO_REFUSAL_LOGGED_KEY] = email
    except SignInStoreError as exc:  # an unlogged sign-in is refused
        st.session_state[NOTICE_KEY] = escape_markdown(str(exc))
    return None


def sign_out_session() -> None:
    for key in (VIEWER_KEY, CONTEXT_KEY):
        st.session_state.pop(key, None)


def render_sign_in(authenticator: Authenticator) -> None:
    """The sign-in page: password form, and single-sign-on buttons when configured."""
    st.title("opsintel")
    st.caption("Operational intelligence: sign in to see your dashboards.")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    if not authenticator.users():
        st.info(f"No users yet in {escape_markdown(str(authenticator.users_path))}: run `opsintel users demo` "
                "(sample company) or `opsintel users add NAME --role admin --tenants all`.")
    _render_oidc(authenticator)
    with st.form(SIGN_IN_FORM):
        username = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            result = authenticator.authenticate(username, password, client_address())
        except SignInStoreError as exc:  # refused: a broken store must not disable the lockout
            st.error(escape_markdown(str(exc)))
            return
        if result.ok:
            st.session_state[VIEWER_KEY] = result.viewer
            st.rerun()
        st.error(result.message)


def _render_oidc(authenticator: Authenticator) -> None:
    section = _auth_secrets()
    identity = _oidc_user()
    if identity is not None:
        email = escape_markdown(str(identity.get("email") or "(no e-mail)"))
        if identity.get("email_verified", True) is False:
            st.error(f"The e-mail {email} is not verified by the sign-on provider: access denied.")
        elif authenticator.user_for_email(identity.get("email")) is None:  # else the notice says why
            st.error(f"{email} has no dashboard access: an admin can add it with "
                     "`opsintel users add NAME --role ROLE --tenants T --email EMAIL --no-password`.")
        if st.button("Sign out of single sign-on"):
            st.logout()
        return
    for label, provider in oidc_providers(section):
        if st.button(f"Sign in with {label}", key=f"oidc_{provider or 'default'}"):
            try:
                st.login(provider)
            except StreamlitAPIException as exc:
                st.error(f"Single sign-on is not available: {escape_markdown(str(exc).splitlines()[0])}")


def render_account(viewer: Viewer) -> None:
    """Who is signed in, and the sign-out button, in the sidebar."""
    scope = "all tenants" if viewer.sees_all_tenants else ", ".join(sorted(viewer.tenants or ()))
    st.sidebar.caption(f"Signed in as **{escape_markdown(viewer.username)}** "
                       f"({viewer.role}; {escape_markdown(scope)})")
    if st.sidebar.button("Sign out", key="sign_out"):
        sign_out_session()
        if _oidc_user() is not None:
            st.logout()
        st.rerun()
