"""The app shell through Streamlit's AppTest: sign-in gate, pages per role, URL and query tampering.

Runs ``dashboards/app.py`` against the built two-tenant company with a users file written
here. Which pages a run offers is read from what ``st.navigation`` registered.

Most tests run the app through a one-line entry script, the way a server runs it; one runs a
page file on its own to show it shows nothing without the app's context.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.access import DataAccess, Viewer
from dashboards.auth import WRONG_CREDENTIALS, UserRecord, hash_password, read_users, write_users
from dashboards.context import CONTEXT_KEY, PAGES, pages_for
from dashboards.signin import VIEWER_KEY

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES_DIR = APP.parent / "views"
PASSWORD = "Tidal-Basin-31"
FAST = {"n": 2**4, "r": 1, "p": 1}  # cheap hashes: the app reads the parameters from the file


@pytest.fixture(scope="module")
def tenant_ids(built_company: Path) -> tuple[str, str]:
    own, other = DataAccess(built_company).tenant_ids()
    return own, other


@pytest.fixture
def users_file(tmp_path, monkeypatch, built_company, tenant_ids) -> Path:
    own, _ = tenant_ids
    path = tmp_path / "users.toml"
    secret = hash_password(PASSWORD, **FAST)
    write_users(path, {
        "root": UserRecord("root", "admin", None, None, secret),
        "ana": UserRecord("ana", "analyst", None, "ana@example.com", secret),
        "eve": UserRecord("eve", "executive", None, None, secret),
        "scoped": UserRecord("scoped", "executive", (own,), "scoped@example.com", secret),
    })
    monkeypatch.setenv("OPSINTEL_USERS", str(path))
    monkeypatch.setenv("OPSINTEL_WAREHOUSE", str(built_company))
    monkeypatch.setenv("OPSINTEL_LOGS", str(tmp_path / "logs"))
    return path


def sign_in_log(users_file: Path) -> list[dict[str, Any]]:
    """The sign-in log lines of the test's logs folder (beside its users file)."""
    log = users_file.parent / "logs" / "signin.log"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def entry(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("entry") / "entry.py"
    path.write_text(f"import runpy\nrunpy.run_path({str(APP)!r}, run_name='__main__')\n")
    return path


@pytest.fixture
def new_app(entry):
    return lambda: AppTest.from_file(str(entry), default_timeout=120)


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    next(t for t in at.text_input if t.label == "User name").input(username)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def registered(at: AppTest) -> set[str]:
    """Titles of the pages st.navigation registered in the last run (AppTest keeps them to
    resolve switch_page; the default page's URL path is empty, so titles identify pages)."""
    return {info["page_name"] for info in at._registered_pages.values()}


def expected_pages(role: str) -> set[str]:
    return {spec.title for spec in pages_for(role) if (PAGES_DIR / spec.file).is_file()}


def page(file: str) -> str:
    """A page path for switch_page (absolute: the entry script lives elsewhere)."""
    return str(PAGES_DIR / file)


def existing_page_files() -> list[str]:
    return [page(spec.file) for spec in PAGES if (PAGES_DIR / spec.file).is_file()]


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_without_a_session_only_the_sign_in_page_exists(new_app, users_file):
    at = new_app().run()
    assert not at.exception
    assert registered(at) == {"Sign in"}
    assert titles(at) == ["opsintel"]
    assert VIEWER_KEY not in at.session_state
    for page in existing_page_files():
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_wrong_password_or_unknown_user_gets_one_generic_message(new_app, users_file):
    at = new_app().run()
    sign_in(at, "root", "Tidal-Basin-32")
    assert [e.value for e in at.error] == [WRONG_CREDENTIALS]
    assert registered(at) == {"Sign in"}
    sign_in(at, "nobody", PASSWORD)
    assert [e.value for e in at.error] == [WRONG_CREDENTIALS]
    assert VIEWER_KEY not in at.session_state


def test_each_sign_in_through_the_app_is_logged_and_counted(new_app, users_file):
    at = new_app().run()
    sign_in(at, "root", "Tidal-Basin-32")
    sign_in(at, "nobody", PASSWORD)
    sign_in(new_app().run(), "eve")
    lines = sign_in_log(users_file)
    assert [(line["user"], line["outcome"], line["client"]) for line in lines] == [
        ("root", "failed", "local"), ("nobody", "failed", "local"), ("eve", "signed-in", "local")]
    assert PASSWORD not in (users_file.parent / "logs" / "signin.log").read_text()
    # The app's sessions count against the shared store: four more failures lock "root".
    at = new_app().run()
    for guess in range(4):
        sign_in(at, "root", f"Tidal-Basin-4{guess}")
    sign_in(at, "root")
    assert [e.value for e in at.error] == ["Too many failed sign-ins: try again in 60 s."]
    assert VIEWER_KEY not in at.session_state


def test_a_damaged_attempts_store_refuses_sign_in_in_one_line(new_app, users_file):
    store = users_file.parent / "users.signin.sqlite"
    store.write_bytes(b"not a database" * 100)
    at = sign_in(new_app().run(), "root")
    assert not at.exception
    assert VIEWER_KEY not in at.session_state and registered(at) == {"Sign in"}
    [error] = [e.value for e in at.error]
    assert error.startswith("".join(f"\\{c}" if c in string.punctuation else c for c in str(store)))
    assert "attempts store cannot be used" in error and "\n" not in error


def test_user_supplied_text_is_not_rendered_as_markdown(new_app, users_file):
    # A sign-on provider passes the e-mail through; a link or image in it must stay text.
    at = new_app()
    at.secrets = dict(OIDC_SECRETS)
    at.user = {"is_logged_in": True, "email": "[click](https://evil.example/x)![i](https://evil.example/i.png)@example.com"}
    at.run()
    [error] = [e.value for e in at.error]
    assert shown_as(error).startswith(
        "[click](https://evil.example/x)![i](https://evil.example/i.png)@example.com has no dashboard access")
    assert not re.search(r"(?<!\\)[\[\]()!@]", error), error  # every mark escaped: nothing to link
    # Underscores in a user name must not turn into italics in the sidebar.
    records = read_users(users_file)
    records["a_b_c"] = UserRecord("a_b_c", "executive", None, None, records["eve"].password_hash)
    write_users(users_file, records)
    at = sign_in(new_app().run(), "a_b_c")
    assert any(caption.value.startswith(r"Signed in as **a\_b\_c** (executive; all tenants)")
               for caption in at.sidebar.caption)


@pytest.mark.parametrize("username, viewer_role, scoped", [
    ("root", "admin", False), ("ana", "analyst", False), ("eve", "executive", False),
    ("scoped", "executive", True),
])
def test_each_role_sees_exactly_its_pages(new_app, users_file, tenant_ids, username, viewer_role, scoped):
    at = sign_in(new_app().run(), username)
    assert not at.exception, at.exception
    assert registered(at) == expected_pages(viewer_role)
    assert ("Users" in registered(at)) == (viewer_role == "admin" and (PAGES_DIR / "users.py").is_file())
    assert CONTEXT_KEY not in at.session_state  # lives for one run only
    assert at.session_state[VIEWER_KEY] == Viewer(username, viewer_role, frozenset({tenant_ids[0]}) if scoped else None)
    missing = [spec.title for spec in pages_for(viewer_role) if not (PAGES_DIR / spec.file).is_file()]
    assert len([w for w in at.sidebar.warning if "not available yet" in w.value]) == len(missing)


def test_admin_opens_users_and_data_health_pages(new_app, users_file):
    at = sign_in(new_app().run(), "root")
    at.switch_page(page("users.py")).run()
    assert not at.exception and titles(at) == ["Users"]
    table = at.dataframe[0].value
    assert list(table["user"]) == ["ana", "eve", "root", "scoped"]
    assert list(table["role"]) == ["analyst", "executive", "admin", "executive"]
    assert "scrypt" not in table.to_csv()
    at.switch_page(page("data_health.py")).run()
    assert not at.exception and titles(at) == ["Data health"]
    health = at.dataframe[0].value
    assert {"rows loaded", "rows quarantined"} <= set(health.columns)


def test_scoped_viewer_sees_data_health_without_row_counts(new_app, users_file):
    at = sign_in(new_app().run(), "scoped")
    at.switch_page(page("data_health.py")).run()
    assert not at.exception and titles(at) == ["Data health"]
    assert not {"rows read", "rows loaded", "rows quarantined", "message"} & set(at.dataframe[0].value.columns)


def test_scoped_executive_cannot_reach_the_users_page_by_url(new_app, users_file, tenant_ids):
    at = sign_in(new_app().run(), "root")
    at.switch_page(page("users.py")).run()
    assert titles(at) == ["Users"]
    # The same session now asks for the Users page's URL as the scoped executive.
    at.session_state[VIEWER_KEY] = Viewer("scoped", "executive", frozenset({tenant_ids[0]}))
    at.run()
    assert not at.exception
    assert "Users" not in titles(at)
    assert "Users" not in registered(at)
    assert not any("user" in frame.value.columns for frame in at.dataframe)


def test_role_change_in_the_file_applies_on_the_next_run(new_app, users_file, tenant_ids):
    at = sign_in(new_app().run(), "root")
    at.switch_page(page("users.py")).run()
    assert titles(at) == ["Users"]
    records = read_users(users_file)
    records["root"] = UserRecord("root", "executive", (tenant_ids[0],), None, records["root"].password_hash)
    write_users(users_file, records)
    at.run()
    assert "Users" not in titles(at) and "Users" not in registered(at)
    assert at.session_state[VIEWER_KEY] == Viewer("root", "executive", frozenset({tenant_ids[0]}))
    del records["root"]
    write_users(users_file, records)
    at.run()
    assert registered(at) == {"Sign in"} and VIEWER_KEY not in at.session_state
    assert [i.value for i in at.info] == ["Your account no longer has access."]


def test_sign_out_returns_to_the_sign_in_page(new_app, users_file):
    at = sign_in(new_app().run(), "eve")
    assert VIEWER_KEY in at.session_state
    next(b for b in at.sidebar.button if b.label == "Sign out").click()
    at.run()
    assert registered(at) == {"Sign in"}
    assert VIEWER_KEY not in at.session_state


def test_missing_warehouse_is_one_line_not_a_trace(new_app, users_file, tmp_path, monkeypatch):
    monkeypatch.setenv("OPSINTEL_WAREHOUSE", str(tmp_path / "nothing" / "opsintel.duckdb"))
    at = sign_in(new_app().run(), "eve")
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("no published warehouse at ") and "make materialize" in error
    assert "\n" not in error


def test_bad_users_file_is_one_line_not_a_trace(new_app, users_file):
    users_file.write_text('[users.dana]\nrole = "owner"\ntenants = "all"\n', encoding="utf-8")
    at = new_app().run()
    assert not at.exception
    assert [shown_as(e.value) for e in at.error] == [
        f"{users_file}: user 'dana', field 'role': 'owner' is not one of executive, analyst, admin"]


OIDC_SECRETS = {"auth": {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
    "google": {"client_id": "id", "client_secret": "secret",
               "server_metadata_url": "https://accounts.example/.well-known/openid-configuration"},
}}


def test_single_sign_on_maps_the_email_to_a_user(new_app, users_file, tenant_ids):
    at = new_app()
    at.secrets = dict(OIDC_SECRETS)
    at.run()
    assert [b.label for b in at.button if b.label.startswith("Sign in with")] == ["Sign in with Google"]
    at.user = {"is_logged_in": True, "email": "SCOPED@example.com", "email_verified": True}
    at.run()
    assert not at.exception
    assert at.session_state[VIEWER_KEY] == Viewer("scoped", "executive", frozenset({tenant_ids[0]}))
    assert registered(at) == expected_pages("executive")
    [line] = sign_in_log(users_file)
    assert (line["user"], line["outcome"], line["method"], line["email"]) == (
        "scoped", "signed-in", "single-sign-on", "SCOPED@example.com")


@pytest.mark.parametrize("identity, message", [
    ({"is_logged_in": True, "email": "stranger@example.com"}, "stranger@example.com has no dashboard access"),
    ({"is_logged_in": True, "email": "ana@example.com", "email_verified": False}, "is not verified"),
])
def test_single_sign_on_without_a_matching_user_is_denied(new_app, users_file, identity, message):
    at = new_app()
    at.secrets = dict(OIDC_SECRETS)
    at.user = identity
    at.run()
    assert not at.exception
    assert registered(at) == {"Sign in"}
    assert any(message in shown_as(e.value) for e in at.error)


def shown_as(markdown: str) -> str:
    """What Streamlit shows for escaped Markdown: backslash escapes and word joiners gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def _rendered_text(at: AppTest) -> str:
    """Every text, label, option and table cell the run rendered, as one string."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)
            return
        value = getattr(node, "value", None)
        if isinstance(value, pd.DataFrame):
            parts.append(value.to_csv())
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))

    walk(at._tree)
    return "\n".join(parts)


@pytest.mark.parametrize("params", [
    {"tenant": "{other}"}, {"tenants": "{other}"}, {"tenant_id": "{other}"},
    {"tenants": ["{own}", "{other}"]}, {"tenant": "{own}' or '1'='1"},
])
def test_tampered_query_params_show_nothing_foreign(new_app, users_file, built_company, tenant_ids, params):
    own, other = tenant_ids
    names = dict(DataAccess(built_company).query(
        Viewer("t", "admin", None), "select tenant_id, tenant_name from {dim_tenant}").itertuples(index=False))
    at = new_app()
    at_params = {key: ([v.format(own=own, other=other) for v in value] if isinstance(value, list)
                       else value.format(own=own, other=other)) for key, value in params.items()}
    at.query_params = dict(at_params)
    sign_in(at.run(), "scoped")
    pages = [file for file in existing_page_files() if not file.endswith("users.py")]
    assert pages
    for file in pages:
        at.switch_page(file).run()
        assert not at.exception, (file, at.exception)
        text = _rendered_text(at)
        for key, value in at_params.items():  # a notice may quote what the user typed
            for item in value if isinstance(value, list) else [value]:
                text = text.replace(f"{key}={item}", "")
        assert other not in text and names[other] not in text, file


def test_a_page_file_run_on_its_own_shows_nothing(users_file):
    """A page file run without the app (no sign-in, no context) stops at once."""
    at = AppTest.from_file(str(PAGES_DIR / "users.py"), default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Sign in first."]
    assert not at.dataframe
    # Streamlit would list every file of a pages/ folder beside the app as a page of its own.
    assert not (APP.parent / "pages").exists()
