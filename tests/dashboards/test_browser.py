"""The dashboards in a real browser: ``streamlit run`` against the built company, Debian chromium.

Signs in, opens every page of the admin role through the sidebar and fails on any exception or
error box; saves a screenshot per page to ``$OPSINTEL_ARTIFACTS/screenshots/`` (the value the
test run was started with; a temporary folder otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import (
    APP,
    CHROMIUM,
    chromium,
    dashboard_server,
    dismiss_dialog,
    main_text,
    open_page,
    problems,
    screenshot,
    sidebar_pages,
    sign_in,
    wait_until_idle,
)
from selenium.webdriver.common.by import By

from dashboards.access import DataAccess, Viewer
from dashboards.auth import UserRecord, hash_password, write_users
from dashboards.context import pages_for

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver)")

# Read at import, before the autouse fixture points OPSINTEL_ARTIFACTS at a temporary folder.
ARTIFACTS_AT_START = os.environ.get("OPSINTEL_ARTIFACTS")
PASSWORD = "Tidal-Basin-31"
PAGES_DIR = APP.parent / "views"


def _write_users(path: Path, own_tenant: str) -> Path:
    secret = hash_password(PASSWORD, n=2**4, r=1, p=1)
    write_users(path, {
        "root": UserRecord("root", "admin", None, None, secret),
        "scoped": UserRecord("scoped", "executive", (own_tenant,), None, secret),
    })
    return path


@pytest.fixture(scope="module")
def tenant_names(built_company: Path) -> dict[str, str]:
    """Tenant id -> name, in id order (the scoped user sees the first)."""
    frame = DataAccess(built_company).query(
        Viewer("test", "admin", None), "select tenant_id, tenant_name from {dim_tenant} order by 1")
    return dict(frame.itertuples(index=False))


@pytest.fixture(scope="module")
def server_env(built_company: Path, tenant_names, tmp_path_factory) -> dict[str, str]:
    own = next(iter(tenant_names))
    users = _write_users(tmp_path_factory.mktemp("browser-users") / "users.toml", own)
    return {"OPSINTEL_WAREHOUSE": str(built_company), "OPSINTEL_USERS": str(users),
            "OPSINTEL_AS_OF_DATE": "2026-10-31"}


@pytest.fixture(scope="module")
def server(server_env, tmp_path_factory):
    with dashboard_server(server_env, tmp_path_factory.mktemp("browser-logs")) as running:
        yield running


@pytest.fixture(scope="module")
def driver():
    with chromium() as browser:
        yield browser


@pytest.fixture
def screenshots(tmp_path) -> Path:
    return Path(ARTIFACTS_AT_START or tmp_path) / "screenshots"


def test_admin_opens_every_page_without_errors(server, driver, screenshots):
    sign_in(driver, server.url, "root", PASSWORD)
    expected = [spec for spec in pages_for("admin") if (PAGES_DIR / spec.file).is_file()]
    assert sidebar_pages(driver) == [spec.title for spec in expected]
    failures = {}
    for spec in expected:
        open_page(driver, spec.title)
        shot = screenshot(driver, screenshots / f"{spec.url_path}.png")
        assert shot.stat().st_size > 10_000, shot  # a rendered page, not a blank
        found = problems(driver)
        if found:
            failures[spec.title] = found[0].splitlines()[0]
    assert not failures, f"{failures}\n(server log tail)\n{server.log_tail()}"


def test_scoped_executive_cannot_open_users_by_url(server, driver):
    driver.get(server.url)  # the server has served its entry page (see the test below)
    wait_until_idle(driver)
    driver.get(f"{server.url}/users")
    wait_until_idle(driver)
    assert "Page not found" in (dismiss_dialog(driver) or "")
    sign_in(driver, None, "scoped", PASSWORD)
    pages = sidebar_pages(driver)
    assert pages and "Users" not in pages
    assert "Data health" in pages
    text = main_text(driver)
    assert "root" not in text and "scrypt" not in text
    assert problems(driver) == []


def test_fresh_server_first_request_for_a_page_url_shows_only_sign_in(server_env, driver, tmp_path):
    # The very first request of a fresh server names a page: it must still get the sign-in form.
    with dashboard_server(server_env, tmp_path / "logs") as fresh:
        driver.get(f"{fresh.url}/users")
        wait_until_idle(driver)
        text = main_text(driver)
        assert "Sign in" in text
        assert "root" not in text and "scoped" not in text
        assert problems(driver) == []


def test_scoped_executive_with_foreign_tenant_in_the_url_sees_only_own(server, driver, tenant_names):
    own, other = list(tenant_names)
    driver.get(server.url)
    wait_until_idle(driver)
    params = [f"tenants={other}", f"tenant={other}", f"tenant_id={other}"]
    sign_in(driver, f"{server.url}/?{'&'.join(params)}", "scoped", PASSWORD)
    text = main_text(driver) + "\n" + driver.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]').text
    assert problems(driver) == []
    for echo in params:  # a notice may quote what the user typed; nothing else may name it
        text = text.replace(echo, "")
    assert other not in text and tenant_names[other] not in text
    assert own in text  # the sidebar names the user's own tenant
