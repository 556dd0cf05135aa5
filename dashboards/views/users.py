"""Users (admins only): who may sign in, with which role and tenants. Never shows hashes.

Change users with ``opsintel users add|remove``; this page reads the same file.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import components as ui
from dashboards.auth import UserRecord, UsersFileError, read_users
from dashboards.context import page_context
from foundation.settings import users_path


def users_frame(users: dict[str, UserRecord]) -> pd.DataFrame:
    methods = {(True, False): "password", (False, True): "single sign-on",
               (True, True): "password, single sign-on"}
    return pd.DataFrame.from_records([
        {"user": user.name, "role": user.role, "tenants": user.scope, "email": user.email or "",
         "sign-in": methods[(user.password_hash is not None, user.email is not None)]}
        for user in sorted(users.values(), key=lambda u: u.name)
    ], columns=["user", "role", "tenants", "email", "sign-in"])


def main() -> None:
    context = page_context()
    if context.viewer.role != "admin":  # navigation hides it too; refuse even if reached
        st.error("This page is for admins.")
        st.stop()
    st.title("Users")
    path = users_path()
    try:
        users = read_users(path)
    except UsersFileError as exc:
        st.error(ui.escape_markdown(exc))
        st.stop()
    st.caption(f"{len(users)} users in {ui.escape_markdown(path)}. Change them with "
               "`opsintel users add NAME --role ROLE --tenants T1,T2|all` and `opsintel users remove NAME`.")
    st.dataframe(users_frame(users), hide_index=True, width="stretch")


main()
