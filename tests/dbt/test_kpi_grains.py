"""The KPI marts at the grains the dashboards filter by, held to numbers computed by hand.

On the folder's built company (two tenants, ``dbt build``): each by-segment, by-cohort and
by-dimension mart is recomputed in pandas from the customer-month facts and the dimensions
(the cohort, movement and average rules of the metric contract written out again here), its
arithmetic data tests pass on the build and fail on a copy whose mart rows were changed, and
`opsintel explain` reads its figures from those marts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from conftest import BuiltWarehouse
from dbt_runner import run_dbt

from reporting.explain import explain

IDENTITY_TESTS = (
    "assert_retention_by_segment_adds_up", "assert_mrr_bridge_by_segment_adds_up",
    "assert_arr_and_cohorts_add_up", "assert_lags_by_segment_add_up",
    "assert_exceptions_by_age_add_up", "assert_mrr_cohorts_add_up",
)
NEW_MARTS = (
    "kpi_retention_by_segment", "kpi_mrr_bridge_by_segment", "kpi_cohort_retention",
    "kpi_arr_by_dimension", "kpi_activation_lag_by_segment", "kpi_first_invoice_delay_by_segment",
    "kpi_billing_exceptions_by_age", "fct_mrr_cohorts",
)


def _frame(built: BuiltWarehouse, sql: str) -> pd.DataFrame:
    """Rows as Python values (exact decimals, dates), not pandas' floats and timestamps."""
    with built.connect() as con:
        cursor = con.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])


@pytest.fixture(scope="module")
def customer_months(built: BuiltWarehouse) -> pd.DataFrame:
    """fct_mrr with the customer's segment, region and partner (amounts as exact decimals)."""
    return _frame(built, """
        select m.tenant_id, m.customer_id, m.month_start, m.first_mrr_month, m.mrr, m.previous_mrr,
               m.mrr_group, m.previous_mrr_group, c.segment, c.region, c.partner_name
        from marts.fct_mrr as m
        join marts.dim_customer as c using (tenant_id, customer_id)
    """)


def _mart(built: BuiltWarehouse, name: str) -> pd.DataFrame:
    return _frame(built, f"select * from marts.{name}")


def test_the_build_passes_the_identity_tests_of_the_new_marts(built: BuiltWarehouse) -> None:
    status = {r.node.name: r.status for r in built.build.node_results}
    assert {name: status.get(name) for name in IDENTITY_TESTS} == dict.fromkeys(IDENTITY_TESTS, "pass")
    assert {name: status.get(name) for name in NEW_MARTS} == dict.fromkeys(NEW_MARTS, "success")


def _movement(mrr: Decimal, previous: Decimal, first: bool) -> str:
    """The metric contract's movement of a customer-month, in its order of rules."""
    if mrr > 0 and first:
        return "new"
    if mrr > 0 and previous == 0:
        return "reactivation"
    if mrr == 0 and previous > 0:
        return "churn"
    return "expansion" if mrr > previous else "contraction" if mrr < previous else "none"


def _busy_month(months: pd.DataFrame) -> date:
    """A month with a 12-month cohort and movements of several kinds."""
    return max(months["month_start"])


@pytest.mark.parametrize("suffix", ["", "_group"])
def test_retention_by_segment_by_hand(built, customer_months, suffix: str) -> None:
    mart = _mart(built, "kpi_retention_by_segment").set_index(["tenant_id", "segment", "month_start"])
    month = _busy_month(customer_months)
    then = month.replace(year=month.year - 1)
    checked = 0
    for (tenant, segment), rows in customer_months.groupby(["tenant_id", "segment"]):
        now_rows = rows[rows["month_start"] == month].set_index("customer_id")
        then_rows = rows[(rows["month_start"] == then) & (rows[f"mrr{suffix}"] > 0)].set_index("customer_id")
        cohort_now = now_rows.loc[then_rows.index, f"mrr{suffix}"]
        capped = [min(n, t) for n, t in zip(cohort_now, then_rows[f"mrr{suffix}"])]
        row = mart.loc[(tenant, segment, month)]
        assert row[f"mrr{suffix}"] == sum(now_rows[f"mrr{suffix}"])
        assert row[f"active_customers{suffix}"] == (now_rows[f"mrr{suffix}"] > 0).sum()
        assert row[f"cohort_customers{suffix}"] == len(then_rows)
        assert row[f"cohort_mrr_then{suffix}"] == sum(then_rows[f"mrr{suffix}"])
        assert row[f"cohort_mrr_now{suffix}"] == sum(cohort_now)
        assert row[f"cohort_mrr_now_capped{suffix}"] == sum(capped)
        if len(then_rows):
            nrr = sum(cohort_now) / sum(then_rows[f"mrr{suffix}"])
            assert abs(row[f"nrr{suffix}"] - nrr) <= Decimal("0.000001")
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("suffix", ["", "_group"])
def test_mrr_bridge_by_segment_by_hand(built, customer_months, suffix: str) -> None:
    mart = _mart(built, "kpi_mrr_bridge_by_segment").set_index(["tenant_id", "segment", "month_start"])
    frame = customer_months.copy()
    frame["movement"] = [_movement(m, p, month == first) for m, p, month, first in zip(
        frame[f"mrr{suffix}"], frame[f"previous_mrr{suffix}"], frame["month_start"], frame["first_mrr_month"])]
    frame["change"] = frame[f"mrr{suffix}"] - frame[f"previous_mrr{suffix}"]
    seen = set()
    for (tenant, segment, month), rows in frame.groupby(["tenant_id", "segment", "month_start"]):
        row = mart.loc[(tenant, segment, month)]
        for movement, column, sign in (("new", "new_mrr", 1), ("expansion", "expansion_mrr", 1),
                                       ("reactivation", "reactivation_mrr", 1),
                                       ("contraction", "contraction_mrr", -1), ("churn", "churned_mrr", -1)):
            moved = rows[rows["movement"] == movement]
            assert row[f"{column}{suffix}"] == sign * sum(moved["change"]), (tenant, segment, month, column)
            seen.update([movement] if len(moved) else [])
        assert row[f"opening_mrr{suffix}"] == sum(rows[f"previous_mrr{suffix}"])
        assert row[f"closing_mrr{suffix}"] == sum(rows[f"mrr{suffix}"])
    assert seen >= {"new", "expansion", "contraction", "churn"}
    assert len(mart) == frame.groupby(["tenant_id", "segment", "month_start"]).ngroups


def test_cohort_retention_by_hand(built, customer_months) -> None:
    mart = _mart(built, "kpi_cohort_retention")
    expected = customer_months.assign(paying=customer_months["mrr"] > 0).groupby(
        ["tenant_id", "segment", "first_mrr_month", "month_start"]).agg(
            cohort_customers=("customer_id", "size"), retained_customers=("paying", "sum")).reset_index()
    expected["months_since_start"] = [(m.year - c.year) * 12 + m.month - c.month
                                      for m, c in zip(expected["month_start"], expected["first_mrr_month"])]
    merged = mart.merge(expected, left_on=["tenant_id", "segment", "cohort_month", "month_start"],
                        right_on=["tenant_id", "segment", "first_mrr_month", "month_start"],
                        suffixes=("", "_by_hand"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    for column in ("cohort_customers", "retained_customers", "months_since_start"):
        assert (merged[column] == merged[f"{column}_by_hand"]).all(), column
    assert (merged["retained_customers"] < merged["cohort_customers"]).any()


def test_arr_by_dimension_by_hand(built, customer_months) -> None:
    mart = _mart(built, "kpi_arr_by_dimension")
    month = _busy_month(customer_months)
    rows = mart[mart["month_start"] == month].set_index(["tenant_id", "segment", "dimension", "label"])
    now = customer_months[customer_months["month_start"] == month].assign(
        partner=lambda f: f["partner_name"].fillna("Direct"))
    for dimension in ("segment", "region", "partner"):
        for (tenant, segment, label), group in now.groupby(["tenant_id", "segment", dimension]):
            if group["mrr"].sum() == 0 and group["mrr_group"].sum() == 0:
                continue
            row = rows.loc[(tenant, segment, dimension, label)]
            assert row["arr"] == 12 * group["mrr"].sum() and row["arr_group"] == 12 * group["mrr_group"].sum()
            assert row["customers"] == (group["mrr"] > 0).sum()
    lines = _frame(built, f"""
        select l.tenant_id, c.segment, p.product_name, l.customer_id, l.monthly_amount_reporting
        from marts.fct_subscription_line_months as l
        join marts.dim_product as p using (tenant_id, product_id)
        join marts.dim_customer as c using (tenant_id, customer_id)
        where l.month_start = '{month}'""")
    products = lines.groupby(["tenant_id", "segment", "product_name"]).agg(
        arr=("monthly_amount_reporting", "sum"), customers=("customer_id", "nunique"))
    for (tenant, segment, product), expected in products.iterrows():
        row = rows.loc[(tenant, segment, "product", product)]
        assert row["arr"] == 12 * expected["arr"]
        assert row["customers"] == expected["customers"]
    assert len(products) > 4


@pytest.mark.parametrize("name, month_column", [("activation_lag", "signed_month"),
                                                ("first_invoice_delay", "activated_month")])
def test_lags_by_segment_average_the_contracts(built, name: str, month_column: str) -> None:
    contracts = _frame(built, f"""
        select k.tenant_id, c.segment, k.{month_column}, k.{name}_days
        from marts.kpi_{name} as k join marts.dim_customer as c using (tenant_id, customer_id)""")
    mart = _mart(built, f"kpi_{name}_by_segment").set_index(["tenant_id", "segment", month_column])
    expected = contracts.groupby(["tenant_id", "segment", month_column]).agg(
        contracts=(f"{name}_days", "size"), measured=(f"{name}_days", "count"),
        total=(f"{name}_days", "sum"), mean=(f"{name}_days", "mean"))
    assert len(mart) == len(expected) > 10
    for key, row in expected.iterrows():
        got = mart.loc[key]
        assert got["contracts_measured"] == row["measured"], key
        if row["measured"]:  # no total and no average while no contract is measured yet
            assert got[f"total_{name}_days"] == row["total"], key
            assert abs(float(got[f"average_{name}_days"]) - row["mean"]) <= 0.05 + 1e-9, key  # rounded


def test_explain_reads_cohorts_and_lags_from_their_marts(built) -> None:
    with built.connect() as con:
        tenant, month = con.execute("""
            select tenant_id, month_start from marts.kpi_retention
            where cohort_customers > 0 order by cohort_customers desc, 1, 2 limit 1""").fetchall()[0]
        nrr = explain(con, "nrr", tenant, month)
        members = con.execute("""
            select customer_id, mrr_then, mrr_now from marts.fct_mrr_cohorts
            where tenant_id = $t and month_start = $m order by customer_id""",
                              {"t": tenant, "m": month}).fetchall()
        lag_tenant, lag_month, contracts, longest = con.execute("""
            select tenant_id, signed_month, sum(contracts_signed), max(max_activation_lag_days)
            from marts.kpi_activation_lag_by_segment group by 1, 2
            order by 3 desc, 1, 2 limit 1""").fetchall()[0]
        lag = explain(con, "activation_lag", lag_tenant, lag_month)
    at = [nrr.columns.index(c) for c in ("customer_id", "mrr_then", "mrr_now")]
    assert [tuple(row[i] for i in at) for row in nrr.rows] == members and nrr.adds_up
    assert (lag.figure["contracts"], lag.figure["longest"]) == (contracts, longest) and lag.adds_up


def test_changed_mart_rows_fail_the_identity_tests(broken_copy: BuiltWarehouse) -> None:
    with duckdb.connect(str(broken_copy.path)) as con:
        for table, change in (
                ("kpi_retention_by_segment", "cohort_mrr_now_group = cohort_mrr_now_group + 1"),
                ("kpi_mrr_bridge_by_segment", "churned_customers = churned_customers + 1"),
                ("kpi_arr_by_dimension", "arr = arr + 12"),
                ("kpi_first_invoice_delay_by_segment", "contracts_measured = contracts_measured + 1"),
                ("kpi_billing_exceptions_by_age", "leakage_amount = leakage_amount + 1"),
                ("fct_mrr_cohorts", "mrr_now_capped = mrr_now_capped - 1")):
            con.execute(f"update marts.{table} set {change} where rowid = (select min(rowid) from marts.{table})")
    run = run_dbt(["test", "--select", *IDENTITY_TESTS], broken_copy.path, broken_copy.work)
    status = {r.node.name: r.status for r in run.node_results if r.node.resource_type == "test"}
    assert status == dict.fromkeys(IDENTITY_TESTS, "fail")
