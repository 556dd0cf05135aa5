"""Every figure a page shows is read from the dbt mart that defines it.

Two checks on the built company (TEN-001 reports in USD, TEN-002 in EUR, group currency USD):
which marts each figure query names (a KPI mart, never the facts it is computed from), and
that the figures equal the mart's rows - one row when the view is one tenant and segment,
the ratio of the summed components (computed here in pandas) when it spans several.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from page_viewers import ANALYST, END, EXEC_BOTH, EXEC_EUR, EXEC_USD, PERIOD, START

from dashboards.access import _PLACEHOLDER as PLACEHOLDER
from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries import (
    billing_operations,
    delivery,
    overview,
    partners,
    revenue,
    supply_chain,
)
from dashboards.queries.scope import forget_scopes

ENTERPRISE = Filters(START, END, segment="enterprise")

# Read by every page to decide the tenants and the currency, never for a figure.
SCOPE_MARTS = {"dim_tenant"}


class RecordingAccess(DataAccess):
    """The real data layer, remembering the marts each query names."""

    def __init__(self, warehouse: Path) -> None:
        super().__init__(warehouse)
        self.marts_read: set[str] = set()

    def query(self, viewer: Viewer, sql: str, params: Mapping[str, Any] | None = None, *,
              tenants: Sequence[str] | None = None) -> pd.DataFrame:
        self.marts_read.update(PLACEHOLDER.findall(sql))
        return super().query(viewer, sql, params, tenants=tenants)


@pytest.fixture(scope="module")
def access(built_company: Path) -> RecordingAccess:
    return RecordingAccess(built_company)


# Each figure query and the marts it may read (the consolidated one where the scope allows).
FIGURES: dict[str, tuple[Callable[..., Any], set[str]]] = {
    "retention_by_month": (revenue.retention_by_month,
                           {"kpi_retention_by_segment", "kpi_retention_consolidated"}),
    "mrr_bridge": (revenue.mrr_bridge, {"kpi_mrr_bridge_by_segment", "kpi_mrr_bridge_consolidated"}),
    "cohort_retention": (revenue.cohort_retention, {"kpi_cohort_retention"}),
    **{f"arr_by_{dimension}": (partial(revenue.arr_by, dimension=dimension), {"kpi_arr_by_dimension"})
       for dimension in revenue.ARR_DIMENSIONS},
    "leakage_by_month": (billing_operations.leakage_by_month,
                         {"kpi_revenue_leakage", "kpi_revenue_leakage_consolidated"}),
    "exceptions_by_type_and_age": (billing_operations.exceptions_by_type_and_age,
                                   {"kpi_billing_exceptions_by_age"}),
    "unbilled_work_summary": (billing_operations.unbilled_work_summary,
                              {"kpi_unbilled_work", "kpi_unbilled_work_consolidated"}),
    "first_invoice_delay_by_month": (billing_operations.first_invoice_delay_by_month,
                                     {"kpi_first_invoice_delay_by_segment"}),
    "ar_aging": (billing_operations.ar_aging, {"kpi_ar_aging", "kpi_ar_aging_consolidated"}),
    "dso_by_month": (billing_operations.dso_by_month, {"kpi_dso", "kpi_ar_aging_consolidated"}),
    "implementation_by_month": (delivery.implementation_by_month, {"kpi_implementation"}),
    "stock_positions": (supply_chain.stock_positions, {"kpi_stock"}),
    "lead_times_by_vendor": (supply_chain.lead_times_by_vendor, {"kpi_procurement_lead_time"}),
    "settlements_by_partner": (partners.settlements_by_partner, {"kpi_partner_settlements"}),
    "channel_margin": (partners.channel_margin, {"kpi_margin", "dim_partner"}),
    "headline_kpis": (overview.headline_kpis,
                      {"kpi_retention_by_segment", "kpi_retention_consolidated", "kpi_revenue_leakage",
                       "kpi_revenue_leakage_consolidated", "kpi_unbilled_work",
                       "kpi_unbilled_work_consolidated"}),
}


@pytest.mark.parametrize("name", list(FIGURES))
@pytest.mark.parametrize("viewer, filters", [
    (ANALYST, PERIOD), (ANALYST, ENTERPRISE), (EXEC_BOTH, PERIOD), (EXEC_EUR, ENTERPRISE),
])
def test_figures_read_their_kpi_marts_only(access: RecordingAccess, name: str, viewer: Viewer,
                                           filters: Filters) -> None:
    query, marts = FIGURES[name]
    forget_scopes()
    access.marts_read.clear()
    query(access, viewer, filters)
    assert access.marts_read - SCOPE_MARTS, name
    assert access.marts_read - SCOPE_MARTS <= marts, f"{name} reads {sorted(access.marts_read)}"


# -- expected figures from mart rows ---------------------------------------------------------------

def _rows(frame: pd.DataFrame, tenants: set[str], segment: str | None, month_column: str,
          first: date, last: date) -> pd.DataFrame:
    rows = frame[frame["tenant_id"].isin(tenants)
                 & frame[month_column].between(pd.Timestamp(first), pd.Timestamp(last))]
    return rows if segment is None else rows[rows["segment"] == segment]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator != 0)).astype(float)


# A mart stores its ratios as numeric(28, 6); the page divides the components exactly.
MART_RATIOS = {"logo_churn_rate", "nrr", "grr", "retention_rate"}


def _assert_columns_equal(page: pd.DataFrame, expected: pd.DataFrame, columns: Sequence[str]) -> None:
    assert len(page) == len(expected) > 0
    for column in columns:
        tolerance = 5e-7 if column in MART_RATIOS else 1e-9
        assert page[column].astype(float).to_numpy() == pytest.approx(
            expected[column].astype(float).to_numpy(), rel=1e-12, abs=tolerance, nan_ok=True), column


RETENTION = ["mrr", "arr", "active_customers", "opening_customers", "churned_customers",
             "logo_churn_rate", "nrr", "grr"]


def test_one_tenant_and_segment_read_their_retention_rows(access, mart) -> None:
    page = revenue.retention_by_month(access, EXEC_USD, ENTERPRISE)
    rows = _rows(mart("kpi_retention_by_segment"), {"TEN-001"}, "enterprise", "month_start",
                 date(2025, 10, 1), END).sort_values("month_start")
    assert list(page["month_start"]) == list(rows["month_start"])
    _assert_columns_equal(page, rows, RETENTION)
    assert page["nrr"].notna().all() and (page["nrr"] != page["grr"]).any()


def test_several_tenants_read_retention_as_ratio_of_summed_components(access, mart) -> None:
    page = revenue.retention_by_month(access, EXEC_BOTH, PERIOD)
    rows = _rows(mart("kpi_retention_by_segment"), {"TEN-001", "TEN-002"}, None, "month_start",
                 date(2025, 10, 1), END)
    sums = rows.groupby("month_start")[[f"{c}_group" for c in (
        "mrr", "arr", "active_customers", "opening_customers", "churned_customers",
        "cohort_mrr_then", "cohort_mrr_now", "cohort_mrr_now_capped")]].sum()
    sums.columns = [c.removesuffix("_group") for c in sums.columns]
    sums["logo_churn_rate"] = _ratio(sums["churned_customers"], sums["opening_customers"])
    sums["nrr"] = _ratio(sums["cohort_mrr_now"], sums["cohort_mrr_then"])
    sums["grr"] = _ratio(sums["cohort_mrr_now_capped"], sums["cohort_mrr_then"])
    _assert_columns_equal(page, sums.reset_index(), RETENTION)
    headline = {kpi.name: kpi.value for kpi in overview.headline_kpis(access, EXEC_BOTH, PERIOD)}
    assert headline["NRR"] == pytest.approx(float(sums["nrr"].iloc[-1]), rel=1e-12)


def test_mrr_bridge_reads_the_segment_bridge(access, mart) -> None:
    rows = mart("kpi_mrr_bridge_by_segment")
    eur = _rows(rows, {"TEN-002"}, "enterprise", "month_start", START, END).sort_values("month_start")
    _assert_columns_equal(revenue.mrr_bridge(access, EXEC_EUR, ENTERPRISE), eur, revenue.BRIDGE_COLUMNS)
    both = _rows(rows, {"TEN-001", "TEN-002"}, None, "month_start", START, END)
    sums = both.groupby("month_start")[[f"{c}_group" for c in revenue.BRIDGE_COLUMNS]].sum()
    sums.columns = list(revenue.BRIDGE_COLUMNS)
    _assert_columns_equal(revenue.mrr_bridge(access, EXEC_BOTH, PERIOD), sums.reset_index(),
                          revenue.BRIDGE_COLUMNS)


def test_cohort_retention_reads_kpi_cohort_retention(access, mart) -> None:
    # Since the tenant's first customers: cohorts that lost customers, and months after the period.
    first, last = date(2023, 1, 1), date(2026, 6, 1)
    rows = mart("kpi_cohort_retention")
    rows = _rows(rows, {"TEN-001"}, None, "cohort_month", first, last)
    rows = rows[rows["month_start"] <= pd.Timestamp(last)]
    sums = rows.groupby(["cohort_month", "months_since_start"])[
        ["retained_customers", "cohort_customers"]].sum().reset_index()
    sums["retention_rate"] = sums["retained_customers"] / sums["cohort_customers"]
    page = revenue.cohort_retention(access, EXEC_USD, Filters(first, last))
    assert list(zip(page["cohort_month"], page["months_since_start"])) == \
        list(zip(sums["cohort_month"], sums["months_since_start"]))
    _assert_columns_equal(page, sums, ["retained_customers", "cohort_customers", "retention_rate"])
    assert (page["retention_rate"] < 1).any()


@pytest.mark.parametrize("dimension", revenue.ARR_DIMENSIONS)
def test_arr_by_dimension_reads_kpi_arr_by_dimension(access, mart, dimension: str) -> None:
    rows = mart("kpi_arr_by_dimension")
    rows = _rows(rows[rows["dimension"] == dimension], {"TEN-001", "TEN-002"}, None, "month_start",
                 END, END)
    sums = rows.groupby("label")[["arr_group", "customers"]].sum()
    sums = sums[sums["arr_group"] != 0]
    page = revenue.arr_by(access, EXEC_BOTH, PERIOD, dimension).set_index("label")
    assert sorted(page.index) == sorted(sums.index) and len(page) > 1
    assert page["arr"].to_dict() == pytest.approx(sums["arr_group"].astype(float).to_dict(), rel=1e-12)
    assert page["customers"].to_dict() == sums["customers"].to_dict()


def test_dso_reads_kpi_dso(access, mart) -> None:
    rows = mart("kpi_dso")
    eur = _rows(rows, {"TEN-002"}, None, "aging_month", date(2025, 10, 1), END).sort_values("aging_month")
    page = billing_operations.dso_by_month(access, EXEC_EUR, PERIOD)
    assert list(page["dso_days"].astype(float)) == list(eur["dso_days"].astype(float))
    # Both tenants in the group currency: AR over invoiced in the 90 days, summed, x 90.
    both = _rows(rows, {"TEN-001", "TEN-002"}, None, "aging_month", date(2025, 10, 1), END)
    sums = both.groupby("aging_month")[["ar_total_amount_group",
                                        "billed_last_90_days_amount_group"]].sum()
    by_hand = (sums["ar_total_amount_group"] * 90 / sums["billed_last_90_days_amount_group"]).round(1)
    page = billing_operations.dso_by_month(access, EXEC_BOTH, PERIOD)
    assert page["dso_days"].astype(float).to_numpy() == pytest.approx(by_hand.astype(float).to_numpy(),
                                                                       abs=0.051)
    assert page["ar_total_amount"].to_numpy() == pytest.approx(
        sums["ar_total_amount_group"].astype(float).to_numpy(), abs=0.005)


def test_first_invoice_delays_read_the_segment_rollup(access, mart) -> None:
    rows = mart("kpi_first_invoice_delay_by_segment")
    rows = _rows(rows, {"TEN-001", "TEN-002"}, None, "activated_month", START, END)
    sums = rows.groupby("activated_month")[["contracts_activated", "contracts_invoiced", "contracts_delayed",
                                            "contracts_measured", "total_first_invoice_delay_days"]].sum()
    sums["average_delay_days"] = _ratio(sums["total_first_invoice_delay_days"], sums["contracts_measured"])
    page = billing_operations.first_invoice_delay_by_month(access, EXEC_BOTH, PERIOD)
    _assert_columns_equal(page, sums.reset_index(), ["contracts_activated", "contracts_invoiced",
                                                     "contracts_delayed", "average_delay_days"])
    # The mean of the contracts themselves, from the row-level mart.
    contracts = mart("kpi_first_invoice_delay")
    contracts = contracts[contracts["activated_month"].between(pd.Timestamp(START), pd.Timestamp(END))]
    means = contracts.groupby("activated_month")["first_invoice_delay_days"].mean()
    assert page.set_index("month_start")["average_delay_days"].to_dict() == pytest.approx(
        means.to_dict(), nan_ok=True)


def test_exceptions_summary_reads_kpi_billing_exceptions_by_age(access, mart) -> None:
    rows = _rows(mart("kpi_billing_exceptions_by_age"), {"TEN-001"}, None, "due_month", START, END)
    columns = ["exceptions", "expected_amount", "billed_amount", "leakage_amount", "over_billed_amount"]
    sums = rows.groupby(["exception_type", "age_bucket", "currency"])[columns].sum().reset_index()
    page = billing_operations.exceptions_by_type_and_age(access, EXEC_USD, PERIOD)
    key = ["exception_type", "age_bucket", "currency"]
    assert page[key].values.tolist() == sums[key].values.tolist()
    _assert_columns_equal(page, sums, columns)
    assert page["over_billed_amount"].sum() > 0
