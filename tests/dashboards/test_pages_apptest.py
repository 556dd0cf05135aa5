"""Each business page run with streamlit's AppTest, as each role, on the built company.

The KPI tiles on screen (st.metric) are compared with figures computed from the marts in
pandas. A copy of the company with hand-made score tables checks the pages that read the ML
scores; the company itself has none, so those pages must say so in one line.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from company_copies import copy_of_company
from streamlit.testing.v1 import AppTest

from dashboards.access import DataAccess, Viewer
from dashboards.components import format_exact_money, format_money, format_percent
from dashboards.context import CONTEXT_KEY, Filters, PageContext
from dashboards.queries.scope import REVIEW_QUEUE_NOT_BUILT, SCORES_NOT_BUILT
from foundation.warehouse import Warehouse

PAGES_DIR = Path(__file__).resolve().parents[2] / "dashboards" / "views"
BUSINESS_PAGES = ("overview", "revenue", "billing_operations", "delivery", "supply_chain",
                  "renewals", "partners")
PERIOD = Filters(date(2025, 11, 1), date(2026, 10, 1))
VIEWERS = {
    "executive": Viewer("eve", "executive", frozenset({"TEN-001"})),
    "analyst": Viewer("ana", "analyst", None),
    "admin": Viewer("root", "admin", None),
}


def run_page(warehouse: Path, page: str, viewer: Viewer, filters: Filters = PERIOD) -> AppTest:
    app = AppTest.from_file(str(PAGES_DIR / f"{page}.py"), default_timeout=60)
    app.session_state[CONTEXT_KEY] = PageContext(viewer, DataAccess(warehouse), filters)
    return app.run()


def metrics(app: AppTest) -> dict[str, tuple[str, str]]:
    return {metric.label: (metric.value, metric.help) for metric in app.metric}


def texts(elements) -> list[str]:
    return [element.value for element in elements]


@pytest.fixture(scope="module")
def fct_mrr(built_company: Path) -> pd.DataFrame:
    con = Warehouse(built_company).reader()
    try:
        return con.execute("select * from marts.fct_mrr").df()
    finally:
        con.close()


@pytest.mark.parametrize("role", list(VIEWERS))
@pytest.mark.parametrize("page", BUSINESS_PAGES)
def test_page_runs_for_every_role(built_company: Path, page: str, role: str) -> None:
    app = run_page(built_company, page, VIEWERS[role])
    assert not app.exception, [exception.value for exception in app.exception]
    assert not app.error, texts(app.error)
    assert not app.warning, texts(app.warning)
    if page == "renewals":
        assert texts(app.info) == [SCORES_NOT_BUILT]
    elif page == "overview":
        assert texts(app.info) == [SCORES_NOT_BUILT]
        assert len(app.metric) == 7
    elif page == "billing_operations":
        assert texts(app.info) == [REVIEW_QUEUE_NOT_BUILT]
    else:
        assert not app.info
    assert app.title[0].value  # every page says what it is


@pytest.mark.parametrize("role, tenants, column, currency", [
    ("executive", {"TEN-001"}, "mrr", "USD"),
    ("analyst", {"TEN-001", "TEN-002"}, "mrr_group", "USD"),
    ("admin", {"TEN-001", "TEN-002"}, "mrr_group", "USD"),
])
def test_overview_tiles_equal_the_marts(built_company: Path, fct_mrr: pd.DataFrame, role: str,
                                        tenants: set[str], column: str, currency: str) -> None:
    rows = fct_mrr[fct_mrr["tenant_id"].isin(tenants)]
    by_month = rows.groupby("month_start")[column].sum()
    mrr, previous = by_month[pd.Timestamp("2026-10-01")], by_month[pd.Timestamp("2026-09-01")]
    # NRR by hand: this month's MRR of the customers paying twelve months earlier.
    then = rows[(rows["month_start"] == pd.Timestamp("2025-10-01")) & (rows[column] > 0)]
    now = rows[rows["month_start"] == pd.Timestamp("2026-10-01")]
    cohort = then.merge(now, on=["tenant_id", "customer_id"], suffixes=("_then", "_now"))
    nrr = cohort[f"{column}_now"].sum() / cohort[f"{column}_then"].sum()

    shown = metrics(run_page(built_company, "overview", VIEWERS[role]))
    assert shown["MRR"][0] == format_money(mrr, currency)
    assert shown["MRR"][1].startswith(f"Exact: {format_exact_money(mrr, currency)}.")
    assert shown["ARR"][1].startswith(f"Exact: {format_exact_money(12 * mrr, currency)}.")
    assert shown["NRR"][0] == format_percent(nrr)
    assert shown["NRR"][1].startswith(f"Exact: {format_percent(nrr, 4)}.")
    app = run_page(built_company, "overview", VIEWERS[role])
    delta = next(metric.delta for metric in app.metric if metric.label == "MRR")
    assert delta == f"{(mrr - previous) / previous * 100:+.1f}% vs last month"


def test_segment_filter_changes_the_tiles(built_company: Path, fct_mrr: pd.DataFrame) -> None:
    con = Warehouse(built_company).reader()
    customers = con.execute("select tenant_id, customer_id, segment from marts.dim_customer").df()
    con.close()
    rows = fct_mrr.merge(customers)
    smb = rows[(rows["tenant_id"] == "TEN-001") & (rows["segment"] == "smb")
               & (rows["month_start"] == pd.Timestamp("2026-10-01"))]["mrr"].sum()
    filters = Filters(PERIOD.period_start, PERIOD.period_end, segment="smb")
    shown = metrics(run_page(built_company, "overview", VIEWERS["executive"], filters))
    assert shown["MRR"][1].startswith(f"Exact: {format_exact_money(smb, 'USD')}.")


# -- with score tables ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scored_company(built_company: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the company with a few hand-made renewal scores and review-queue rows."""
    path = copy_of_company(built_company, tmp_path_factory.mktemp("scored"))
    with Warehouse(path).writer() as con:
        contracts = con.execute("""
            select tenant_id, contract_id, customer_id from marts.dim_contract
            qualify row_number() over (partition by tenant_id order by contract_id) <= 3
            order by tenant_id, contract_id
        """).fetchall()
        bands = [("high", 0.81, 30, 1000.0), ("medium", 0.42, 60, 2000.0), ("low", 0.08, 150, 3000.0)] * 2
        # where the scoring and review-queue steps write them
        con.execute("create schema if not exists ml")
        con.execute("""
            create table ml.renewal_risk_scores (
                tenant_id varchar, contract_id varchar, customer_id varchar, renewal_date date,
                days_to_renewal integer, within_90_days boolean, within_180_days boolean,
                contract_mrr decimal(18, 2), probability double, risk_band varchar,
                drivers varchar, model_version varchar, scored_at timestamp)
        """)
        for (tenant, contract, customer), (band, probability, days, mrr) in zip(contracts, bands, strict=True):
            con.execute(
                "insert into ml.renewal_risk_scores values ($t, $c, $cu, date '2026-10-31' + $d, "
                "$d, $d <= 90, true, $m, $p, $b, 'escalated tickets; usage down', 'v1', "
                "timestamp '2026-10-31 00:00:00')",
                {"t": tenant, "c": contract, "cu": customer, "d": days, "m": mrr, "p": probability,
                 "b": band})
        con.execute("""
            create table ml.billing_review_queue as
            select tenant_id, customer_id, invoice_id, invoice_line_id, invoice_month as period_start,
                   amount, currency, 'both' as source, 'price far above history' as reasons,
                   0.9 as anomaly_score,
                   row_number() over (order by tenant_id, invoice_line_id) as priority_rank
            from marts.fct_invoice_lines
            qualify row_number() over (partition by tenant_id order by invoice_line_id) <= 2
        """)
    return path


def test_overview_counts_contracts_at_risk(scored_company: Path) -> None:
    executive = metrics(run_page(scored_company, "overview", VIEWERS["executive"]))
    assert executive["Contracts at risk"][0] == "1"
    assert "USD 12.00K" in executive["Contracts at risk"][1]  # 12 x 1,000 MRR at stake
    analyst = metrics(run_page(scored_company, "overview", VIEWERS["analyst"]))
    assert analyst["Contracts at risk"][0] == "2"


def test_renewals_page_shows_only_the_viewers_scores(scored_company: Path) -> None:
    app = run_page(scored_company, "renewals", VIEWERS["executive"])
    assert not app.exception and not app.info
    table = app.dataframe[0].value
    assert set(table["tenant_id"]) == {"TEN-001"} and len(table) == 3
    assert list(table["risk_band"]) == ["high", "medium", "low"]  # riskiest first
    assert metrics(app)["High-risk ARR (USD)"][1].startswith("Exact: USD 12,000.00.")
    everyone = run_page(scored_company, "renewals", VIEWERS["admin"])
    assert set(everyone.dataframe[0].value["tenant_id"]) == {"TEN-001", "TEN-002"}
    # The 90-day window drops the contract renewing in 150 days.
    everyone.segmented_control(key="renewals_window").set_value("90 days").run()
    assert set(everyone.dataframe[0].value["days_to_renewal"]) == {30, 60}


def test_billing_page_lists_the_review_queue(scored_company: Path) -> None:
    app = run_page(scored_company, "billing_operations", VIEWERS["executive"])
    assert not app.exception and not app.info
    queues = [frame.value for frame in app.dataframe if "priority_rank" in frame.value.columns]
    assert len(queues) == 1
    assert set(queues[0]["tenant_id"]) == {"TEN-001"} and len(queues[0]) == 2
