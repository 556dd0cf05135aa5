"""Drive the dashboards in a real browser: Debian's chromium through Selenium and chromedriver.

Used by ``test_browser.py``, and as a script that takes the README screenshots from a built
warehouse (nothing is downloaded; the browser and its driver are the system's)::

    python tests/dashboards/browser.py --warehouse data/warehouse/opsintel.duckdb --out docs/screenshots
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "dashboards" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
READY_TIMEOUT_S = 90.0
RENDER_TIMEOUT_S = 120.0

PROBLEM_SELECTORS = ('[data-testid="stException"]', '[data-testid="stAlertContentError"]')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DashboardServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextmanager
def dashboard_server(env_overrides: dict[str, str], log_dir: Path) -> Iterator[DashboardServer]:
    """``streamlit run dashboards/app.py`` on a free local port until the block ends."""
    port = free_port()
    env = {**os.environ, **env_overrides, "DO_NOT_TRACK": "1"}
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        # Own process group: stopping it stops everything streamlit started.
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = DashboardServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        _stop(process)


def _wait_until_healthy(server: DashboardServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit not healthy after {READY_TIMEOUT_S:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def chromium(width: int = 1440, height: int = 1100) -> Iterator[object]:
    """A headless Debian chromium driven by the system chromedriver (nothing downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--no-first-run", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until_idle(driver, timeout: float = RENDER_TIMEOUT_S) -> None:
    """Wait until the app's script run has finished and stayed finished for a moment."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    idle_since: float | None = None
    while time.monotonic() < deadline:
        states = [e.get_attribute("data-test-script-state")
                  for e in driver.find_elements(By.CSS_SELECTOR, "[data-test-script-state]")]
        idle = bool(states) and all(state == "notRunning" for state in states)
        if idle:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= 1.0:
                return
        else:
            idle_since = None
        time.sleep(0.2)
    raise TimeoutError(f"the app did not finish rendering within {timeout:.0f} s")


def problems(driver) -> list[str]:
    """Texts of exception and error boxes on screen."""
    from selenium.webdriver.common.by import By

    return [element.text for selector in PROBLEM_SELECTORS
            for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def main_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return "\n".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"]'))


def dismiss_dialog(driver) -> str | None:
    """Close a modal dialog (e.g. Streamlit's "Page not found") and return its text."""
    from selenium.webdriver.common.by import By

    dialogs = driver.find_elements(By.CSS_SELECTOR, '[role="dialog"]')
    if not dialogs:
        return None
    text = dialogs[0].text
    dialogs[0].find_element(By.CSS_SELECTOR, 'button[aria-label="Close"]').click()
    time.sleep(0.3)
    return text


def sign_in(driver, url: str | None, username: str, password: str) -> None:
    """Open ``url`` (a new session; None: stay on the current one) and sign in through the form."""
    from selenium.webdriver.common.by import By

    if url is not None:
        driver.get(url)
        wait_until_idle(driver)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="User name"]').send_keys(username)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]').send_keys(password)
    driver.find_element(By.XPATH, '//button[.//p[text()="Sign in"]]').click()
    time.sleep(0.5)
    wait_until_idle(driver)


def sidebar_pages(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [_link_title(link) for link in
            driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"]')]


def _link_title(link) -> str:
    # A link's text is its material icon's name, a line break, then the page title.
    lines = link.text.strip().splitlines()
    return lines[-1] if lines else ""


def open_page(driver, title: str) -> None:
    """Open a page through the sidebar navigation (a URL load would start a new session)."""
    from selenium.webdriver.common.by import By

    links = [link for link in driver.find_elements(
        By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"]')
        if _link_title(link) == title]
    if not links:
        raise LookupError(f"no page {title!r} in the sidebar (have {sidebar_pages(driver)})")
    links[0].click()
    time.sleep(0.5)
    wait_until_idle(driver)


def screenshot(driver, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path


# -- script mode: README screenshots ---------------------------------------------------------

README_PAGES = ("Overview", "Revenue")


def take_readme_screenshots(warehouse: Path, out: Path, pages: tuple[str, ...] = README_PAGES,
                            as_of: str = "2026-10-31") -> list[Path]:
    sys.path.insert(0, str(REPO_ROOT))
    from dashboards.auth import UserRecord, hash_password, write_users

    with tempfile.TemporaryDirectory(prefix="opsintel-shots-") as scratch:
        users = Path(scratch) / "users.toml"
        password = "Screenshot-Pass-42"
        write_users(users, {"admin": UserRecord("admin", "admin", None, None, hash_password(password))})
        env = {"OPSINTEL_WAREHOUSE": str(warehouse.resolve()), "OPSINTEL_USERS": str(users),
               "OPSINTEL_AS_OF_DATE": as_of}
        saved = []
        with dashboard_server(env, Path(scratch) / "logs") as server, chromium(1600, 1300) as driver:
            sign_in(driver, server.url, "admin", password)
            for title in pages:
                open_page(driver, title)
                found = problems(driver)
                if found:
                    raise RuntimeError(f"{title}: {found[0].splitlines()[0]}")
                saved.append(screenshot(driver, out / f"{title.lower().replace(' ', '_')}.png"))
        return saved


def main() -> int:
    parser = argparse.ArgumentParser(description="Take the README screenshots of the dashboards.")
    parser.add_argument("--warehouse", type=Path, required=True, help="Warehouse file (its published snapshot is read).")
    parser.add_argument("--out", type=Path, required=True, help="Folder for the PNG files.")
    parser.add_argument("--pages", default=",".join(README_PAGES), help="Comma-separated page titles.")
    args = parser.parse_args()
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        print(f"error: needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)",
              file=sys.stderr)
        return 1
    try:
        saved = take_readme_screenshots(args.warehouse, args.out, tuple(p.strip() for p in args.pages.split(",")))
    except (RuntimeError, LookupError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
