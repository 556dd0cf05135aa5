"""Operations marts on a generated company, checked against a second method.

A three-tenant company is generated, loaded and built once (``dbt build`` of the operations
marts and everything upstream, with their data tests, unit tests and singular tests). Each
test then recomputes one KPI with pandas straight from the ``raw`` tables, independent of
the SQL, and compares; partner settlement accuracy is also held to the generator's truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_runner import DbtRun, run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing

AS_OF = pd.Timestamp("2026-10-31")


@dataclass
class OperationsBuild:
    warehouse: Path
    truth: Path
    build: DbtRun

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).df()


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OperationsBuild]:
    base = tmp_path_factory.mktemp("dbt-operations")
    landing, truth = base / "landing", base / "truth"
    generate(landing, truth, tenants=3, scale=0.3, seed=7)
    warehouse = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(warehouse), landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    # The staging layer's own tests belong to the staging suite; everything of the operations
    # domain (models, data tests, unit tests, singular tests) is built here. Cautious indirect
    # selection keeps other domains' tests on shared parents out of this build.
    build = run_dbt(
        [
            "build",
            "--select",
            "+path:models/marts/operations",
            "path:tests/operations",
            "--exclude",
            "path:models/staging,resource_type:test",
            "--indirect-selection",
            "cautious",
            "--vars",
            f"{{as_of_date: {AS_OF.date().isoformat()}}}",
        ],
        warehouse,
        base / "dbt",
    )
    yield OperationsBuild(warehouse, truth, build)


def test_build_is_green_with_unit_tests_and_no_warnings(ops: OperationsBuild) -> None:
    assert ops.build.result.success, ops.build.result.exception
    statuses = {str(r.status) for r in ops.build.node_results}
    assert statuses <= {"success", "pass"}, statuses
    unit_tests = [r for r in ops.build.node_results if str(r.node.resource_type) == "unit_test"]
    assert len(unit_tests) >= 7
    assert ops.build.warnings == []


def test_every_kpi_mart_has_a_tenant_id(ops: OperationsBuild) -> None:
    columns = ops.query("""
        select table_name, list(column_name) as columns
        from information_schema.columns
        where table_schema = 'marts' and table_name like 'kpi_%'
        group by table_name""")
    ours = columns[columns.table_name.isin(_operations_kpis())]
    assert len(ours) == len(_operations_kpis())
    for row in ours.itertuples():
        assert "tenant_id" in list(row.columns), row.table_name


def _operations_kpis() -> list[str]:
    folder = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "operations"
    return sorted(p.stem for p in folder.glob("kpi_*.sql"))


# ------------------------------------------------------------------ partner settlements


def test_settlement_accuracy_flags_exactly_the_wrong_settlements_of_the_truth(
    ops: OperationsBuild,
) -> None:
    kpi = ops.query(
        "select tenant_id, settlement_id, is_accurate from marts.kpi_partner_settlements"
    )
    truth = pd.read_csv(ops.truth / "settlement_errors.csv")
    flagged = set(kpi.loc[~kpi.is_accurate, ["tenant_id", "settlement_id"]].itertuples(index=False))
    wrong = set(truth[["tenant_id", "settlement_id"]].itertuples(index=False))
    assert len(wrong) > 5, "the generated company should contain wrong settlements"
    assert flagged == wrong, {"false_positives": flagged - wrong, "missed": wrong - flagged}
    assert len(kpi) == len(ops.query("select * from raw.partner_settlements"))


def test_expected_commission_matches_the_truth_and_a_pandas_recomputation(
    ops: OperationsBuild,
) -> None:
    kpi = ops.query("select * from marts.kpi_partner_settlements")
    truth = pd.read_csv(ops.truth / "settlement_errors.csv")
    both = kpi.merge(truth, on=["tenant_id", "settlement_id"])
    # FX cross rates are derived (A -> USD / B -> USD), so a cent of rounding is allowed.
    assert (
        both.expected_commission_x.astype(float) - both.expected_commission_y
    ).abs().max() <= 0.011
    assert (both.settled_commission.astype(float) - both.stated_commission).abs().max() == 0

    # Second method: partner-sourced invoice subtotals per partner-month from raw, when the
    # invoices are in the partner's currency (no conversion needed), x the agreed rate.
    invoices = ops.query(
        "select tenant_id, customer_id, invoice_date, currency, subtotal from raw.invoices"
    )
    customers = ops.query(
        "select tenant_id, customer_id, partner_id from raw.customers where partner_id is not null"
    )
    partners = ops.query(
        "select tenant_id, partner_id, currency as partner_currency, commission_pct from raw.partners"
    )
    sourced = invoices.merge(customers, on=["tenant_id", "customer_id"]).merge(
        partners, on=["tenant_id", "partner_id"]
    )
    sourced["period_month"] = (
        pd.to_datetime(sourced.invoice_date).dt.to_period("M").dt.to_timestamp()
    )
    single_currency = sourced.groupby(["tenant_id", "partner_id", "period_month"]).filter(
        lambda g: (g.currency == g.partner_currency).all()
    )
    expected = (
        single_currency.groupby(["tenant_id", "partner_id", "period_month"])
        .agg(revenue=("subtotal", "sum"), pct=("commission_pct", "first"))
        .reset_index()
    )
    expected["commission"] = (
        expected.revenue.astype(float) * expected.pct.astype(float) / 100
    ).round(2)
    kpi["period_month"] = pd.to_datetime(kpi.period_month)
    compared = kpi.merge(expected, on=["tenant_id", "partner_id", "period_month"])
    assert len(compared) > 50
    assert (
        compared.expected_revenue.astype(float) - compared.revenue.astype(float)
    ).abs().max() < 0.005
    assert (compared.expected_commission.astype(float) - compared.commission).abs().max() <= 0.01


# ------------------------------------------------------------------ supply chain


def test_stock_on_hand_equals_the_sum_of_raw_movements(ops: OperationsBuild) -> None:
    movements = ops.query("select tenant_id, item_id, quantity, moved_at from raw.stock_movements")
    movements = movements[pd.to_datetime(movements.moved_at) < AS_OF + pd.Timedelta(days=1)]
    on_hand = movements.groupby(["tenant_id", "item_id"]).quantity.sum().rename("expected")
    kpi = ops.query(f"""
        select tenant_id, item_id, stock_on_hand from marts.kpi_stock
        where month_start = date '{AS_OF.replace(day=1).date()}'""").set_index(
        ["tenant_id", "item_id"]
    )
    compared = kpi.join(on_hand, how="outer")
    assert len(compared) > 5
    assert (compared.stock_on_hand == compared.expected).all(), compared[
        compared.stock_on_hand != compared.expected
    ]
    assert (compared.expected >= 0).all()


def test_procurement_lead_time_with_partial_receipts_matches_pandas(ops: OperationsBuild) -> None:
    orders = ops.query(
        "select tenant_id, po_id, vendor_id, quantity, ordered_date, status from raw.purchase_orders"
    )
    receipts = ops.query(
        "select tenant_id, po_id, receipt_id, received_date, quantity_received from raw.receipts"
    )
    receipts = receipts.sort_values(["tenant_id", "po_id", "received_date", "receipt_id"])
    receipts["cumulative"] = receipts.groupby(["tenant_id", "po_id"]).quantity_received.cumsum()
    joined = receipts.merge(orders, on=["tenant_id", "po_id"])
    complete = (
        joined[joined.cumulative >= joined.quantity]
        .groupby(["tenant_id", "po_id"])
        .received_date.min()
        .rename("fully_received")
        .reset_index()
    )
    orders = orders.merge(complete, on=["tenant_id", "po_id"], how="left")
    orders["lead"] = (
        pd.to_datetime(orders.fully_received) - pd.to_datetime(orders.ordered_date)
    ).dt.days
    assert orders.lead.notna().sum() > 50
    assert (receipts.groupby(["tenant_id", "po_id"]).size() > 1).any(), (
        "no split deliveries generated"
    )

    fct = ops.query("select tenant_id, po_id, lead_time_days from marts.fct_purchase_orders")
    compared = fct.merge(orders, on=["tenant_id", "po_id"])
    assert len(compared) == len(orders)
    assert (
        compared.lead_time_days.fillna(-1).astype(int).tolist()
        == compared.lead.fillna(-1).astype(int).tolist()
    )

    by_vendor = orders[orders.status != "cancelled"].groupby(["tenant_id", "vendor_id"]).lead.mean()
    kpi = (
        ops.query("""
        select tenant_id, vendor_id, sum(total_lead_time_days) * 1.0 / sum(fully_received_orders) as avg_lead
        from marts.kpi_procurement_lead_time group by 1, 2""")
        .set_index(["tenant_id", "vendor_id"])
        .avg_lead
    )
    assert (kpi - by_vendor).abs().max() < 1e-9


def test_devices_not_billing_are_the_raw_deployments_without_timely_billing(
    ops: OperationsBuild,
) -> None:
    deployments = ops.query("""
        select d.tenant_id, d.deployment_id, d.deployed_date, s.start_date
        from raw.device_deployments as d
        left join raw.subscription_line_items as s
            on s.tenant_id = d.tenant_id and s.line_item_id = d.line_item_id""")
    deployed = deployments[deployments.deployed_date.notna()]
    expected = deployed[
        deployed.start_date.isna()
        | (pd.to_datetime(deployed.start_date) > pd.to_datetime(deployed.deployed_date))
    ]
    kpi = ops.query("select tenant_id, deployment_id from marts.kpi_devices_not_billing")
    assert len(expected) > 0
    assert set(kpi.itertuples(index=False)) == set(
        expected[["tenant_id", "deployment_id"]].itertuples(index=False)
    )


# ------------------------------------------------------------------ delivery and approvals


def test_implementation_cycle_time_matches_pandas(ops: OperationsBuild) -> None:
    projects = ops.query("""
        select tenant_id, start_date, actual_go_live_date from raw.implementation_projects
        where actual_go_live_date is not null and status <> 'cancelled'""")
    projects["cycle"] = (
        pd.to_datetime(projects.actual_go_live_date) - pd.to_datetime(projects.start_date)
    ).dt.days
    expected = projects.groupby("tenant_id").cycle.agg(["sum", "count"])
    kpi = ops.query("""
        select tenant_id, sum(total_cycle_time_days) as total, sum(projects_went_live) as n
        from marts.kpi_implementation group by 1""").set_index("tenant_id")
    assert (kpi.total == expected["sum"]).all() and (kpi.n == expected["count"]).all()

    milestones = ops.query("""
        select planned_date, completed_date, status from raw.milestones""")
    open_late = milestones[
        milestones.completed_date.isna()
        & (milestones.status != "cancelled")
        & (pd.to_datetime(milestones.planned_date) < AS_OF)
    ]
    slipping = ops.query(f"""
        select sum(milestones_slipping) as n from marts.kpi_implementation
        where month_start = date '{AS_OF.replace(day=1).date()}'""").n.iloc[0]
    assert slipping == len(open_late) > 0


def test_approval_turnaround_and_exceptions_match_pandas(ops: OperationsBuild) -> None:
    events = ops.query(
        "select tenant_id, request_id, workflow, action, occurred_at from raw.approval_events"
    )
    events["occurred_at"] = pd.to_datetime(events.occurred_at)
    submitted = (
        events[events.action == "submitted"].groupby(["tenant_id", "request_id"]).occurred_at.min()
    )
    decided = (
        events[events.action.isin(["approved", "rejected"])]
        .groupby(["tenant_id", "request_id"])
        .occurred_at.max()
    )
    hours = ((decided - submitted).dt.total_seconds() / 3600).rename("hours").reset_index()
    workflow = events.groupby(["tenant_id", "request_id"]).workflow.first().reset_index()
    per_workflow = (
        hours.merge(workflow, on=["tenant_id", "request_id"])
        .groupby(["tenant_id", "workflow"])
        .hours.agg(["sum", "count"])
    )
    rejected = (
        events[events.action == "rejected"].groupby(["tenant_id", "workflow"]).request_id.nunique()
    )

    kpi = ops.query("""
        select tenant_id, workflow, sum(total_turnaround_hours) as total_hours,
               sum(decided_requests) as decided, sum(rejected_requests) as rejected
        from marts.kpi_approvals group by 1, 2""").set_index(["tenant_id", "workflow"])
    per_workflow = per_workflow.reindex(kpi.index)
    assert ((kpi.total_hours - per_workflow["sum"]).abs() < 1e-6).all()
    assert (kpi.decided == per_workflow["count"]).all()
    assert (kpi.rejected == rejected.reindex(kpi.index).fillna(0)).all()
    assert rejected.sum() > 0


# ------------------------------------------------------------------ margin and forecast


def test_net_revenue_in_reporting_currency_matches_pandas(ops: OperationsBuild) -> None:
    invoices = ops.query("""
        select tenant_id, customer_id, invoice_date as day, currency, subtotal as amount
        from raw.invoices where status <> 'void'""")
    credits = ops.query("""
        select tenant_id, customer_id, issued_date as day, currency, -amount as amount
        from raw.credit_notes where status <> 'void'""")
    documents = pd.concat([invoices, credits])
    documents["month"] = pd.to_datetime(documents.day).dt.to_period("M").dt.to_timestamp()
    per_customer = (
        documents.groupby(["tenant_id", "customer_id", "month", "currency"])
        .amount.sum()
        .reset_index()
    )
    tenants = ops.query("select tenant_id, reporting_currency from raw.tenants")
    rates = ops.query(
        "select tenant_id, rate_month as month, from_currency as currency, to_currency, rate from raw.fx_rates"
    )
    rates["month"] = pd.to_datetime(rates.month)
    per_customer = per_customer.merge(tenants, on="tenant_id").merge(
        rates.rename(columns={"to_currency": "reporting_currency"}),
        on=["tenant_id", "month", "currency", "reporting_currency"],
        how="left",
    )
    per_customer["rate"] = per_customer.rate.where(
        per_customer.currency != per_customer.reporting_currency, 1
    )
    per_customer["reporting"] = (
        per_customer.amount.astype(float) * per_customer.rate.astype(float)
    ).round(2)
    expected = per_customer.groupby("tenant_id").reporting.sum()

    kpi = ops.query("""
        select tenant_id, sum(net_revenue_reporting) as net, count(*) as n,
               sum(margin_reporting) as margin,
               sum(net_revenue_reporting - device_cost_reporting - partner_commission_reporting
                   - pass_through_cost_reporting) as recomputed
        from marts.kpi_margin group by 1""").set_index("tenant_id")
    expected = expected.reindex(kpi.index)
    # Half a cent of rounding per customer-month at most.
    assert ((kpi.net.astype(float) - expected).abs() <= kpi.n * 0.005 + 0.01).all(), (
        kpi.net,
        expected,
    )
    assert (kpi.margin == kpi.recomputed).all()


def test_forecast_rows_and_bookings_first_year_value_match_pandas(ops: OperationsBuild) -> None:
    forecasts = ops.query(
        "select tenant_id, forecast_month, segment, metric, amount from raw.forecasts"
    )
    kpi = ops.query("select * from marts.kpi_forecast_variance where has_forecast")
    keys = ["tenant_id", "forecast_month", "segment", "metric"]
    assert len(kpi) == len(forecasts.drop_duplicates(keys))
    assert (
        abs(kpi.forecast_amount_original.astype(float).sum() - forecasts.amount.astype(float).sum())
        < 0.01
    )

    # Bookings = 12 x the starting monthly recurring amount of each signed contract's original lines.
    contracts = ops.query("select tenant_id, contract_id, currency, start_date from raw.contracts")
    lines = ops.query("""
        select tenant_id, contract_id, quantity, unit_price, discount_pct, billing_period,
               start_date as line_start, end_date as line_end
        from raw.subscription_line_items
        where billing_model = 'recurring' and amendment_id is null""")
    joined = lines.merge(contracts, on=["tenant_id", "contract_id"])
    starting = joined[
        (pd.to_datetime(joined.line_start) <= pd.to_datetime(joined.start_date))
        & (
            joined.line_end.isna()
            | (pd.to_datetime(joined.line_end) > pd.to_datetime(joined.start_date))
        )
    ]
    months = starting.billing_period.map({"annual": 12, "quarterly": 3}).fillna(1)
    starting = starting.assign(
        monthly=starting.quantity.astype(float)
        * starting.unit_price.astype(float)
        * (100 - starting.discount_pct.fillna(0).astype(float))
        / 100
        / months
    )
    expected = (starting.groupby(["tenant_id", "contract_id"]).monthly.sum() * 12).round(2)
    booked = (
        ops.query("""
        select tenant_id, contract_id, first_year_value from intermediate.int_contract_bookings_valued
        where first_year_value > 0""")
        .set_index(["tenant_id", "contract_id"])
        .first_year_value
    )
    assert len(booked) > 50
    difference = (booked.astype(float) - expected.reindex(booked.index)).abs()
    assert (difference < 0.011).all(), difference[~(difference < 0.011)]
