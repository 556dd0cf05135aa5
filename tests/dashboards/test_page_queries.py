"""Page queries against the built company: every figure recomputed another way from the marts.

The company has two tenants: TEN-001 reports in USD, TEN-002 in EUR, the group currency is USD.
Expected values come from whole mart tables read with plain SQL and computed in pandas, never
from the page SQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from page_viewers import ANALYST, END, EXEC_BOTH, EXEC_EUR, EXEC_USD, PERIOD, START

from dashboards import cache
from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.filters import (
    FilterChoices,
    filters_from_params,
    filters_to_params,
    last_complete_month,
    parse_month,
)
from dashboards.queries import (
    billing_operations,
    delivery,
    overview,
    partners,
    revenue,
    supply_chain,
)
from dashboards.queries.renewals import upcoming_renewals
from dashboards.queries.scope import (
    SCORES_NOT_BUILT,
    EmptyScope,
    MartNotBuilt,
    resolve_scope,
)


@pytest.fixture(scope="module")
def access(built_company: Path) -> DataAccess:
    return DataAccess(built_company)


def _month(frame: pd.DataFrame, column: str, month: date) -> pd.DataFrame:
    return frame[frame[column] == pd.Timestamp(month)]


def _retention_by_hand(fct_mrr: pd.DataFrame, mrr: str, movement: str, month: date) -> dict[str, float]:
    now = _month(fct_mrr, "month_start", month)
    then = _month(fct_mrr, "month_start", date(month.year - 1, month.month, 1))
    then = then[then[mrr] > 0]
    pairs = then.merge(now, on=["tenant_id", "customer_id"], suffixes=("_then", "_now"))
    assert len(pairs) == len(then)  # a customer's rows run every month once it had MRR
    opening = (now[f"previous_{mrr}"] > 0).sum()
    return {
        "mrr": now[mrr].sum(),
        "nrr": pairs[f"{mrr}_now"].sum() / pairs[f"{mrr}_then"].sum(),
        "grr": pairs[[f"{mrr}_now", f"{mrr}_then"]].min(axis=1).sum() / pairs[f"{mrr}_then"].sum(),
        "logo_churn_rate": (now[movement] == "churn").sum() / opening,
    }


# -- scope and currency ------------------------------------------------------------------------

def test_scope_picks_currency_and_consolidated_marts(access: DataAccess) -> None:
    every = resolve_scope(access, ANALYST, PERIOD)
    assert (every.tenants, every.currency, every.group, every.consolidated) == (
        ("TEN-001", "TEN-002"), "USD", True, True)
    both_picked = resolve_scope(access, ANALYST, Filters(START, END, ("TEN-002", "TEN-001")))
    assert both_picked.consolidated and both_picked.request is None
    eur = resolve_scope(access, EXEC_EUR, PERIOD)
    assert (eur.currency, eur.group, eur.consolidated) == ("EUR", False, False)
    eur_in_usd = resolve_scope(access, EXEC_EUR, Filters(START, END, currency="USD"))
    assert (eur_in_usd.currency, eur_in_usd.group) == ("USD", True)
    mixed = resolve_scope(access, EXEC_BOTH, PERIOD)
    assert (mixed.currency, mixed.group, mixed.consolidated) == ("USD", True, False)
    with pytest.raises(ValueError, match="EUR or USD, not GBP"):
        resolve_scope(access, EXEC_EUR, Filters(START, END, currency="GBP"))
    with pytest.raises(EmptyScope):
        resolve_scope(access, EXEC_USD, Filters(START, END, tenants=("TEN-002",)))


# -- overview / revenue ------------------------------------------------------------------------

@pytest.mark.parametrize("viewer, tenants, mrr, movement, currency", [
    (EXEC_USD, {"TEN-001"}, "mrr", "movement_type", "USD"),
    (EXEC_EUR, {"TEN-002"}, "mrr", "movement_type", "EUR"),
    (EXEC_BOTH, {"TEN-001", "TEN-002"}, "mrr_group", "movement_type_group", "USD"),
    (ANALYST, {"TEN-001", "TEN-002"}, "mrr_group", "movement_type_group", "USD"),
])
def test_headline_kpis_equal_fct_mrr_by_hand(access, mart, viewer, tenants, mrr, movement,
                                             currency) -> None:
    fct_mrr = mart("fct_mrr")
    fct_mrr = fct_mrr[fct_mrr["tenant_id"].isin(tenants)]
    kpis = {kpi.name: kpi for kpi in overview.headline_kpis(access, viewer, PERIOD)}
    last, before = _retention_by_hand(fct_mrr, mrr, movement, END), \
        _retention_by_hand(fct_mrr, mrr, movement, date(2026, 9, 1))
    assert kpis["MRR"].currency == currency
    assert kpis["MRR"].value == pytest.approx(last["mrr"], abs=0.01)
    assert kpis["MRR"].previous == pytest.approx(before["mrr"], abs=0.01)
    assert kpis["ARR"].value == pytest.approx(12 * last["mrr"], abs=0.1)
    for name, key in (("NRR", "nrr"), ("GRR", "grr"), ("Logo churn", "logo_churn_rate")):
        assert kpis[name].value == pytest.approx(last[key], abs=1e-6), name
        assert kpis[name].previous == pytest.approx(before[key], abs=1e-6), name
    assert kpis["MRR"].value > 0 and kpis["NRR"].value != kpis["GRR"].value


def test_single_tenant_kpis_equal_kpi_retention(access, mart) -> None:
    expected = _month(mart("kpi_retention"), "month_start", END)
    expected = expected[expected["tenant_id"] == "TEN-002"].iloc[0]
    kpis = {kpi.name: kpi.value for kpi in overview.headline_kpis(access, EXEC_EUR, PERIOD)}
    assert kpis["MRR"] == pytest.approx(float(expected["mrr"]), abs=1e-4)
    assert kpis["NRR"] == pytest.approx(float(expected["nrr"]), abs=1e-6)
    assert kpis["GRR"] == pytest.approx(float(expected["grr"]), abs=1e-6)


def test_eur_tenant_in_group_currency_reads_group_columns(access, mart) -> None:
    fct_mrr = _month(mart("fct_mrr"), "month_start", END)
    in_usd = overview.headline_kpis(access, EXEC_EUR, Filters(START, END, currency="USD"))[0]
    assert in_usd.currency == "USD"
    assert in_usd.value == pytest.approx(fct_mrr[fct_mrr["tenant_id"] == "TEN-002"]["mrr_group"].sum(),
                                         abs=0.01)


def test_segment_and_period_narrow_the_figures(access, mart) -> None:
    customers = mart("dim_customer")
    fct_mrr = mart("fct_mrr").merge(customers[["tenant_id", "customer_id", "segment"]])
    enterprise = Filters(START, END, segment="enterprise")
    mrr = revenue.retention_by_month(access, EXEC_USD, enterprise)
    expected = fct_mrr[(fct_mrr["tenant_id"] == "TEN-001") & (fct_mrr["segment"] == "enterprise")]
    expected = expected.groupby("month_start")["mrr"].sum()
    assert list(mrr["month_start"]) == [pd.Timestamp(date(2025, 10, 1))] + \
        [pd.Timestamp(m) for m in pd.date_range("2025-11-01", "2026-10-01", freq="MS")]
    for row in mrr.itertuples():
        assert row.mrr == pytest.approx(expected[row.month_start], abs=0.01)
    total = revenue.retention_by_month(access, EXEC_USD, PERIOD)
    assert (mrr["mrr"].to_numpy() < total["mrr"].to_numpy()).all()

    short = revenue.mrr_bridge(access, EXEC_USD, Filters(date(2026, 8, 1), date(2026, 9, 1)))
    assert list(short["month_start"]) == [pd.Timestamp("2026-08-01"), pd.Timestamp("2026-09-01")]


def test_mrr_bridge_closes_and_equals_kpi_mrr_bridge(access, mart) -> None:
    bridge = revenue.mrr_bridge(access, EXEC_USD, PERIOD)
    expected = mart("kpi_mrr_bridge")
    expected = expected[expected["tenant_id"] == "TEN-001"].set_index("month_start")
    assert len(bridge) == 12
    for row in bridge.itertuples():
        for column in revenue.BRIDGE_COLUMNS:
            assert getattr(row, column) == pytest.approx(float(expected.loc[row.month_start, column]),
                                                         abs=1e-4), column
        assert row.opening_mrr + row.new_mrr + row.expansion_mrr + row.reactivation_mrr \
            - row.contraction_mrr - row.churned_mrr == pytest.approx(row.closing_mrr, abs=1e-4)
    consolidated = revenue.mrr_bridge(access, ANALYST, PERIOD)
    per_tenant_group = revenue.mrr_bridge(access, EXEC_BOTH, PERIOD)  # the by-segment mart, summed
    pd.testing.assert_frame_equal(consolidated, per_tenant_group, atol=1e-4)


def test_mrr_movements_add_up_to_the_bridge(access) -> None:
    bridge = revenue.mrr_bridge(access, EXEC_EUR, PERIOD).set_index("month_start")
    movements = revenue.mrr_movements(access, EXEC_EUR, PERIOD)
    assert set(movements["tenant_id"]) == {"TEN-002"}
    net = movements.groupby("month_start")["movement_amount"].sum()
    for month, row in bridge.iterrows():
        assert net.get(month, 0.0) == pytest.approx(row.closing_mrr - row.opening_mrr, abs=1e-4)


@pytest.mark.parametrize("viewer, tenants, suffix, segment", [
    (ANALYST, {"TEN-001", "TEN-002"}, "_group", None),  # consolidated scope, group currency
    (EXEC_BOTH, {"TEN-001", "TEN-002"}, "_group", None),  # mixed currencies: group currency
    (EXEC_EUR, {"TEN-002"}, "", None),  # one tenant: its reporting currency
    (EXEC_USD, {"TEN-001"}, "", "enterprise"),
])
def test_mrr_movements_are_the_moving_customer_months_of_fct_mrr(access, mart, viewer, tenants,
                                                                  suffix, segment) -> None:
    customers = mart("dim_customer")[["tenant_id", "customer_id", "customer_name", "segment"]]
    rows = mart("fct_mrr").merge(customers, on=["tenant_id", "customer_id"])
    rows = rows[rows["tenant_id"].isin(tenants)
                & rows["month_start"].between(pd.Timestamp(START), pd.Timestamp(END))
                & (rows[f"movement_type{suffix}"] != "none")]
    if segment is not None:
        rows = rows[rows["segment"] == segment]
    expected = rows.sort_values(["month_start", "tenant_id", "customer_id"]).reset_index(drop=True)
    movements = revenue.mrr_movements(access, viewer, Filters(START, END, segment=segment))
    assert len(movements) == len(expected) > 0
    for column in ("tenant_id", "customer_id", "customer_name", "segment", "month_start"):
        assert list(movements[column]) == list(expected[column]), column
    assert list(movements["movement_type"]) == list(expected[f"movement_type{suffix}"])
    for column in ("previous_mrr", "mrr"):
        assert movements[column].to_numpy() == pytest.approx(
            expected[f"{column}{suffix}"].astype(float).to_numpy(), abs=1e-6), column
    assert movements["movement_amount"].to_numpy() == pytest.approx(
        (expected[f"mrr{suffix}"] - expected[f"previous_mrr{suffix}"]).astype(float).to_numpy(), abs=1e-6)


def test_arr_by_dimension_adds_up_to_arr(access) -> None:
    arr = revenue.retention_by_month(access, EXEC_BOTH, PERIOD)["arr"].iloc[-1]
    for dimension in ("segment", "region", "partner", "product"):
        by = revenue.arr_by(access, EXEC_BOTH, PERIOD, dimension)
        assert by["arr"].sum() == pytest.approx(arr, abs=0.5), dimension
        assert by["label"].is_unique and len(by) > 1


def test_cohort_retention_by_hand(access, mart) -> None:
    fct_mrr = mart("fct_mrr")
    fct_mrr = fct_mrr[(fct_mrr["tenant_id"] == "TEN-001")
                      & fct_mrr["first_mrr_month"].between(pd.Timestamp(START), pd.Timestamp(END))]
    cohorts = revenue.cohort_retention(access, EXEC_USD, PERIOD)
    assert len(cohorts) > 0
    for row in cohorts.sample(min(10, len(cohorts)), random_state=1).itertuples():
        cohort = fct_mrr[fct_mrr["first_mrr_month"] == row.cohort_month]
        size = cohort["customer_id"].nunique()
        month = row.cohort_month + pd.DateOffset(months=row.months_since_start)
        retained = (cohort[(cohort["month_start"] == month)]["mrr"] > 0).sum()
        assert (row.cohort_customers, row.retained_customers) == (size, retained)
        assert row.retention_rate == pytest.approx(retained / size)


# -- billing operations ------------------------------------------------------------------------

def test_leakage_consolidated_equals_sum_of_tenants_in_group_currency(access, mart) -> None:
    per_tenant = mart("kpi_revenue_leakage").groupby("leakage_month")["leakage_amount_group"].sum()
    consolidated = billing_operations.leakage_by_month(access, ANALYST, PERIOD)
    assert len(consolidated) == 13
    for row in consolidated.itertuples():
        assert row.leakage_amount == pytest.approx(float(per_tenant[row.month_start]), abs=0.01)
    eur = billing_operations.leakage_by_month(access, EXEC_EUR, PERIOD)
    reporting = mart("kpi_revenue_leakage")
    reporting = reporting[reporting["tenant_id"] == "TEN-002"].groupby("leakage_month")[
        "leakage_amount_reporting"].sum()
    for row in eur.itertuples():
        assert row.leakage_amount == pytest.approx(float(reporting.get(row.month_start, 0)), abs=0.01)


def test_exceptions_by_type_age_and_currency(access, mart) -> None:
    rows = mart("fct_billing_exceptions")
    rows = rows[(rows["tenant_id"] == "TEN-001")
                & rows["due_month"].between(pd.Timestamp(START), pd.Timestamp(END))]
    summary = billing_operations.exceptions_by_type_and_age(access, EXEC_USD, PERIOD)
    by_type = summary.groupby(["exception_type", "currency"])[["exceptions", "leakage_amount"]].sum()
    expected = rows.groupby(["exception_type", "currency"]).agg(
        exceptions=("exception_type", "size"), leakage_amount=("leakage_amount", "sum"))
    assert sorted(by_type.index) == sorted(expected.index)
    for key, row in expected.iterrows():
        assert by_type.loc[key, "exceptions"] == row.exceptions
        assert by_type.loc[key, "leakage_amount"] == pytest.approx(float(row.leakage_amount), abs=0.01)
    old = summary[summary["age_bucket"] == "181+"]["exceptions"].sum()
    assert old == (rows["age_days"] > 180).sum()
    assert len(billing_operations.exception_rows(access, EXEC_USD, PERIOD)) == len(rows)


def _age_bucket(days: float) -> str:
    for upper, bucket in ((30, "0-30"), (60, "31-60"), (90, "61-90"), (180, "91-180")):
        if days <= upper:
            return bucket
    return "181+"


def test_exception_age_buckets_and_list_order_by_hand(access, mart) -> None:
    rows = mart("fct_billing_exceptions")
    rows = rows[(rows["tenant_id"] == "TEN-002")
                & rows["due_month"].between(pd.Timestamp(START), pd.Timestamp(END))].copy()
    rows["age_bucket"] = rows["age_days"].map(_age_bucket)
    summary = billing_operations.exceptions_by_type_and_age(access, EXEC_EUR, PERIOD)
    counts = summary.set_index(["exception_type", "age_bucket", "currency"])["exceptions"]
    expected = rows.groupby(["exception_type", "age_bucket", "currency"]).size()
    assert counts.to_dict() == expected.to_dict() and len(expected) > 1
    over_billed = summary["over_billed_amount"].sum()
    assert over_billed == pytest.approx(float(rows["difference_amount"].clip(lower=0).sum()), abs=0.01)
    listed = billing_operations.exception_rows(access, EXEC_EUR, PERIOD)
    rows["minus_age"] = -rows["age_days"]
    rows = rows.sort_values(["minus_age", "tenant_id", "customer_id", "line_item_id", "period_start",
                             "exception_type"])
    key = ["line_item_id", "period_start", "exception_type", "age_bucket"]
    assert listed[key].values.tolist() == rows[key].values.tolist()


def test_open_invoices_are_the_open_unvoided_invoices(access, mart) -> None:
    invoices = mart("fct_invoices")
    invoices = invoices[(invoices["tenant_id"] == "TEN-001") & (invoices["open_amount"] > 0)
                        & ~invoices["is_void"]]
    names = mart("dim_customer").set_index(["tenant_id", "customer_id"])["customer_name"]
    listed = billing_operations.open_invoices(access, EXEC_USD, PERIOD)
    assert sorted(listed["invoice_number"]) == sorted(invoices["invoice_number"]) and len(listed) > 0
    assert listed["open_amount"].sum() == pytest.approx(float(invoices["open_amount"].sum()), abs=0.01)
    assert list(listed["customer_name"]) == [names[("TEN-001", customer)] for customer in listed["customer_id"]]
    due = listed["days_past_due_as_of"].dropna()
    assert due.is_monotonic_decreasing and listed["days_past_due_as_of"].iloc[:len(due)].notna().all()


def test_unbilled_work_summary_and_rows(access, mart) -> None:
    summary = billing_operations.unbilled_work_summary(access, EXEC_USD, PERIOD)
    expected = mart("kpi_unbilled_work")
    expected = expected[expected["tenant_id"] == "TEN-001"]
    assert summary["unbilled_amount"].sum() == pytest.approx(
        float(expected["unbilled_amount_reporting"].sum()), abs=0.01)
    items = mart("fct_unbilled_work")
    items = items[items["tenant_id"] == "TEN-001"]
    assert summary["items"].sum() == len(items)
    assert len(billing_operations.unbilled_work_rows(access, EXEC_USD, PERIOD)) == len(items)
    ready = delivery.ready_to_bill(access, EXEC_USD, PERIOD)
    assert len(ready) == (items["work_type"] == "milestone").sum()


def test_ar_aging_and_dso(access, mart) -> None:
    aging = mart("kpi_ar_aging")
    aging = _month(aging, "aging_month", END)
    dso = billing_operations.dso_by_month(access, ANALYST, PERIOD)
    last = dso[dso["month_start"] == pd.Timestamp(END)].iloc[0]
    by_hand = aging["ar_total_amount_group"].sum() * 90 / aging["billed_last_90_days_amount_group"].sum()
    assert float(last["dso_days"]) == pytest.approx(by_hand, abs=0.05)
    usd = billing_operations.dso_by_month(access, EXEC_USD, PERIOD)
    expected = _month(mart("kpi_dso"), "aging_month", END)
    assert float(usd["dso_days"].iloc[-1]) == float(
        expected[expected["tenant_id"] == "TEN-001"]["dso_days"].iloc[0])
    buckets = billing_operations.ar_aging(access, EXEC_USD, PERIOD)
    mine = aging[aging["tenant_id"] == "TEN-001"]
    assert buckets[list(billing_operations.AR_BUCKETS)].sum(axis=1).iloc[0] == pytest.approx(
        float(mine["ar_total_amount_reporting"].sum()), abs=0.05)


def test_first_invoice_delays(access, mart) -> None:
    contracts = mart("kpi_first_invoice_delay")
    contracts = contracts[(contracts["tenant_id"] == "TEN-002")
                          & contracts["activated_month"].between(pd.Timestamp(START), pd.Timestamp(END))]
    by_month = billing_operations.first_invoice_delay_by_month(access, EXEC_EUR, PERIOD)
    assert by_month["contracts_activated"].sum() == len(contracts)
    assert by_month["contracts_delayed"].sum() == contracts["is_delayed"].sum()
    assert len(billing_operations.first_invoice_delays(access, EXEC_EUR, PERIOD)) == \
        contracts["is_delayed"].sum()


# -- delivery, supply chain, partners -------------------------------------------------------------

def test_activation_lag_and_implementation(access, mart) -> None:
    contracts = mart("dim_contract")
    signed = contracts[(contracts["tenant_id"] == "TEN-001")
                       & contracts["signed_date"].between(pd.Timestamp(START), pd.Timestamp("2026-10-31"))]
    lags = delivery.activation_lags(access, EXEC_USD, PERIOD)
    assert sorted(lags["contract_id"]) == sorted(signed["contract_id"])
    assert lags["activation_lag_days"].median() == signed["activation_lag_days"].median()
    projects = delivery.implementation_by_month(access, ANALYST, PERIOD)
    kpi = mart("kpi_implementation")
    kpi = kpi[kpi["month_start"].between(pd.Timestamp(START), pd.Timestamp(END))]
    assert projects["projects_went_live"].sum() == kpi["projects_went_live"].sum()
    went_live = projects[projects["projects_went_live"] > 0]
    assert (went_live["avg_cycle_time_days"] * went_live["projects_went_live"]).sum() == \
        pytest.approx(float(kpi["total_cycle_time_days"].sum()))


def test_lead_time_by_vendor_equals_purchase_orders(access, mart) -> None:
    orders = mart("fct_purchase_orders")
    orders = orders[orders["ordered_month"].between(pd.Timestamp(START), pd.Timestamp(END))]
    vendors = supply_chain.lead_times_by_vendor(access, ANALYST, PERIOD)
    expected = orders.groupby(["tenant_id", "vendor_id"]).agg(
        orders=("po_id", "size"), lead=("lead_time_days", "mean"))
    assert len(vendors) == len(expected)
    for row in vendors.itertuples():
        assert row.purchase_orders == expected.loc[(row.tenant_id, row.vendor_id), "orders"]
        want = expected.loc[(row.tenant_id, row.vendor_id), "lead"]
        assert (pd.isna(row.avg_lead_time_days) and pd.isna(want)) or \
            row.avg_lead_time_days == pytest.approx(want)


def test_stock_and_device_cost(access, mart) -> None:
    stock = supply_chain.stock_positions(access, EXEC_USD, PERIOD)
    expected = _month(mart("fct_stock_positions"), "month_start", END)
    expected = expected[expected["tenant_id"] == "TEN-001"].set_index("item_id")["closing_quantity"]
    assert dict(zip(stock["item_id"], stock["stock_on_hand"], strict=True)) == \
        {item: float(quantity) for item, quantity in expected.items()}
    cost = supply_chain.device_cost_by_customer(access, EXEC_BOTH, PERIOD)
    deployments = mart("fct_device_deployments")
    deployments = deployments[deployments["is_deployed"]
                              & deployments["cost_month"].between(pd.Timestamp(START), pd.Timestamp(END))]
    assert cost["device_cost"].sum() == pytest.approx(float(deployments["device_cost_group"].sum()),
                                                      abs=0.05)


def test_partner_settlements_and_channel_margin(access, mart) -> None:
    settlements = mart("fct_partner_settlements")
    kpi = mart("kpi_partner_settlements")
    kpi = kpi[(kpi["tenant_id"] == "TEN-001")
              & kpi["period_month"].between(pd.Timestamp(START), pd.Timestamp(END))]
    by_partner = partners.settlements_by_partner(access, EXEC_USD, PERIOD)
    assert by_partner["settlements"].sum() == len(kpi) > 0
    assert by_partner["accurate_settlements"].sum() == kpi["is_accurate"].sum()
    assert set(settlements["tenant_id"]) >= set(by_partner["tenant_id"])
    margin = partners.channel_margin(access, EXEC_USD, PERIOD)
    expected = mart("kpi_margin_by_partner")
    expected = expected[(expected["tenant_id"] == "TEN-001")
                        & expected["month_start"].between(pd.Timestamp(START), pd.Timestamp(END))]
    expected = expected.groupby("partner_id")["margin_reporting"].sum()
    assert dict(zip(margin["partner_id"], margin["margin"].round(2), strict=True)) == \
        pytest.approx({partner: float(value) for partner, value in expected.items()}, abs=0.01)


# -- scope and attention ------------------------------------------------------------------------

def test_scoped_viewer_sees_only_its_tenant(access) -> None:
    for query in (billing_operations.exception_rows, billing_operations.unbilled_work_rows,
                  billing_operations.open_invoices, delivery.activation_lags,
                  delivery.milestone_slippage, supply_chain.stock_positions,
                  supply_chain.purchase_orders, supply_chain.device_cost_by_customer,
                  partners.settlement_rows, partners.channel_margin, revenue.mrr_movements):
        rows = query(access, EXEC_USD, PERIOD)
        assert set(rows["tenant_id"]) == {"TEN-001"}, query.__name__
        # Picking the other tenant cannot widen the scope.
        with pytest.raises(EmptyScope):
            query(access, EXEC_USD, Filters(START, END, tenants=("TEN-002",)))
    both = billing_operations.exception_rows(access, ANALYST, PERIOD)
    assert set(both["tenant_id"]) == {"TEN-001", "TEN-002"}


def test_needs_attention_counts(access, mart) -> None:
    attention = overview.needs_attention(access, EXEC_USD, PERIOD).set_index("item")["count"]
    milestones = mart("fct_milestones")
    slipping = (milestones["is_slipping"] & (milestones["tenant_id"] == "TEN-001")).sum()
    assert attention.get("Milestones slipping", 0) == slipping
    exceptions = mart("fct_billing_exceptions")
    old = ((exceptions["tenant_id"] == "TEN-001") & (exceptions["age_days"] > 60)
           & (exceptions["due_month"] <= pd.Timestamp(END))).sum()
    assert attention.get("Billing exceptions older than 60 days", 0) == old > 0
    assert (attention > 0).all()


def test_score_tables_missing_say_what_to_run(access) -> None:
    with pytest.raises(MartNotBuilt, match="^Renewal risk scores are not built yet"):
        upcoming_renewals(access, ANALYST, PERIOD)
    with pytest.raises(MartNotBuilt) as missing:
        overview.contracts_at_risk(access, EXEC_USD, PERIOD)
    assert str(missing.value) == SCORES_NOT_BUILT


# -- cache ----------------------------------------------------------------------------------------

def test_cached_page_data_is_read_once_and_each_caller_gets_its_own_copy(access) -> None:
    calls: list[Filters] = []

    def bridge(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
        calls.append(filters)
        return revenue.mrr_bridge(access, viewer, filters)

    cache.clear()
    first = cache.cached(bridge, access, EXEC_USD, PERIOD)
    first.loc[:, "closing_mrr"] = -1.0  # a page changing its frame
    second = cache.cached(bridge, access, EXEC_USD, PERIOD)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(second, revenue.mrr_bridge(access, EXEC_USD, PERIOD))
    cache.cached(bridge, access, EXEC_EUR, PERIOD)  # another scope is another entry
    assert len(calls) == 2



# -- filters from the URL -----------------------------------------------------------------------

CHOICES = FilterChoices(
    months=tuple(pd.date_range("2024-01-01", "2026-10-01", freq="MS").date),
    last_complete_month=date(2026, 10, 1),
    tenants=(("TEN-001", "North", "USD"), ("TEN-002", "South", "EUR")),
    group_currency="USD",
    segments=("enterprise", "mid_market", "smb"),
)


def test_filters_from_url_round_trip() -> None:
    filters = Filters(date(2026, 1, 1), date(2026, 6, 1), ("TEN-002",), "smb", "EUR")
    parsed, problems = filters_from_params(filters_to_params(filters), CHOICES)
    assert (parsed, problems) == (filters, [])
    assert filters_from_params({}, CHOICES) == (Filters(date(2025, 11, 1), date(2026, 10, 1)), [])


def test_filters_from_url_reject_bad_values_one_line_each() -> None:
    parsed, problems = filters_from_params(
        {"from": "2026-13", "to": "2027-01", "tenant": ["TEN-009", "TEN-001"],
         "segment": "'; drop table x", "currency": "GBP"}, CHOICES)
    assert parsed == Filters(date(2025, 11, 1), date(2026, 10, 1), ("TEN-001",), None, None)
    assert len(problems) == 5
    assert problems[0].startswith("URL parameter from='2026-13' is not a month")
    assert "tenant=TEN-009 is not a tenant you can see" in problems[2]
    assert "currency='GBP' cannot be used" in problems[4]
    reversed_period, problems = filters_from_params({"from": "2026-06", "to": "2026-01"}, CHOICES)
    assert (reversed_period.period_start, reversed_period.period_end) == CHOICES.default_period
    assert problems == [("URL parameters from=2026-06 and to=2026-01 are reversed: showing "
                         "the default period")]
    # Mixed currencies offer only the group currency.
    assert filters_from_params({"currency": "EUR"}, CHOICES)[0].currency is None


def test_month_parsing_and_last_complete_month() -> None:
    assert parse_month("2026-02") == date(2026, 2, 1)
    assert [parse_month(text) for text in ("2026-2-1", "26-02", "2026-00", "feb", "")] == [None] * 5
    assert last_complete_month(date(2026, 10, 31)) == date(2026, 10, 1)
    assert last_complete_month(date(2026, 10, 30)) == date(2026, 9, 1)
    assert last_complete_month(date(2024, 2, 29)) == date(2024, 2, 1)
    assert last_complete_month(date(2026, 1, 15)) == date(2025, 12, 1)
