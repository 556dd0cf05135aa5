"""The revenue marts hold the metric contract's numbers on a generated multi-currency company.

A small company (three tenants reporting in USD, EUR and GBP, customers billed in other
currencies too, monthly / quarterly / annual lines with discounts, amendments, churn) is
generated, loaded and built with dbt as of the generator's as-of date. An independent Python
reading of the metric contract - straight from the staged line items and the monthly FX
rates, in exact decimals - must give the same customer-month MRR and movements, the same
bridges (per tenant and consolidated) and the same retention KPIs; and the bridges close
exactly in the warehouse's decimals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_runner import DbtRun, run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing
from models.dbt_sources import REPO_ROOT

AS_OF = date(2026, 10, 31)
AS_OF_MONTH = AS_OF.replace(day=1)
GROUP = "USD"
MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "annual": 12}
# Exact-decimal reference vs. the warehouse's numeric(28,6) per line month.
TOLERANCE = Decimal("0.001")
RATIO_TOLERANCE = Decimal("0.000002")
# The revenue marts, the core dimensions and their ancestors; the staging views' own tests are left to
# test_staging_*.py. Cautious indirect selection: only tests whose every parent is built here.
DIMENSIONS = ["dim_tenant", "dim_customer", "dim_product", "dim_contract", "dim_partner", "dim_vendor",
              "dim_item"]
REVENUE_BUILD = ["build", "--select", "+path:models/marts/revenue", *(f"+{d}" for d in DIMENSIONS),
                 "--indirect-selection", "cautious",
                 "--exclude", "path:models/staging,resource_type:test",
                 "path:models/staging,resource_type:unit_test"]


@dataclass
class RevenueWarehouse:
    path: Path
    build: DbtRun

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, parameters or []).fetchall()


@pytest.fixture(scope="module")
def revenue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RevenueWarehouse]:
    base = tmp_path_factory.mktemp("revenue")
    landing, truth = base / "landing", base / "truth"
    generate(landing, truth, tenants=3, scale=0.15, seed=7, dirty_rate=0.01, as_of=AS_OF)
    path = base / "warehouse.duckdb"
    load_landing(Warehouse(path), landing)
    build = run_dbt([*REVENUE_BUILD, "--vars", f"{{as_of_date: '{AS_OF.isoformat()}'}}"],
                    path, base / "dbt")
    yield RevenueWarehouse(path, build)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _first_month_on_or_after(day: date) -> date:
    return day if day.day == 1 else _next_month(day.replace(day=1))


def _classify(mrr: Decimal, previous: Decimal, first: bool) -> str:
    if mrr > 0 and first:
        return "new"
    if mrr > 0 and previous == 0:
        return "reactivation"
    if mrr == 0 and previous > 0:
        return "churn"
    return "expansion" if mrr > previous else "contraction" if mrr < previous else "none"


@dataclass
class Reference:
    """The metric contract evaluated in Python: customer-month MRR and movements."""

    # (tenant, customer) -> [(month, mrr, previous, type, mrr_group, previous_group, type_group)]
    customers: dict[tuple[str, str], list[tuple]]


@pytest.fixture(scope="module")
def reference(revenue: RevenueWarehouse) -> Reference:
    reporting = dict(revenue.query("select tenant_id, reporting_currency from staging.stg_finance__tenants"))
    rates = {(t, m, f, to): r for t, m, f, to, r in revenue.query(
        "select tenant_id, rate_month, from_currency, to_currency, rate from intermediate.int_fx_rates_monthly")}
    amounts: dict[tuple[str, str], dict[date, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal(0), Decimal(0)]))
    for tenant, customer, currency, period, qty, price, discount, start, end in revenue.query("""
            select tenant_id, customer_id, currency, billing_period, quantity, unit_price,
                   discount_pct, start_date, end_date
            from staging.stg_billing__subscription_line_items where billing_model = 'recurring'"""):
        monthly = qty * price * (1 - discount / 100) / MONTHS_PER_PERIOD[period]
        month = _first_month_on_or_after(start)
        while month <= AS_OF_MONTH and (end is None or month < end):
            to_reporting = rates[(tenant, month, currency, reporting[tenant])]
            to_group = rates.get((tenant, month, currency, GROUP))
            if to_group is None:
                to_group = to_reporting * rates[(tenant, month, reporting[tenant], GROUP)]
            amounts[(tenant, customer)][month][0] += monthly * to_reporting
            amounts[(tenant, customer)][month][1] += monthly * to_group
            month = _next_month(month)
    customers = {}
    for key, by_month in amounts.items():
        active = [m for m, (mrr, _) in by_month.items() if mrr > 0]
        if not active:
            continue
        rows, month, previous, previous_group = [], min(active), Decimal(0), Decimal(0)
        first = month
        while month <= AS_OF_MONTH:
            mrr, mrr_group = by_month.get(month, (Decimal(0), Decimal(0)))
            rows.append((month, mrr, previous, _classify(mrr, previous, month == first),
                         mrr_group, previous_group, _classify(mrr_group, previous_group, month == first)))
            previous, previous_group, month = mrr, mrr_group, _next_month(month)
        customers[key] = rows
    return Reference(customers)


def _close(a: Decimal | None, b: Decimal | None, tolerance: Decimal = TOLERANCE) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(Decimal(a) - Decimal(b)) <= tolerance


def test_build_passes_every_model_and_test_without_warnings(revenue: RevenueWarehouse) -> None:
    assert revenue.build.result.success, revenue.build.result.exception
    statuses = {str(r.status) for r in revenue.build.node_results}
    assert statuses <= {"success", "pass"}, statuses
    kinds = {str(r.node.resource_type) for r in revenue.build.node_results}
    assert {"model", "test", "unit_test"} <= kinds
    assert revenue.build.warnings == []


def test_the_company_exercises_currencies_periods_and_every_movement(revenue: RevenueWarehouse) -> None:
    (reporting_currencies, line_currencies, periods, discounted), = revenue.query("""
        select count(distinct reporting_currency), count(distinct currency),
               count(distinct billing_period), count(case when discount_pct > 0 then 1 end)
        from marts.fct_subscription_line_months""")
    assert reporting_currencies == 3 and line_currencies >= 3 and periods == 3 and discounted > 0
    types = {t for (t,) in revenue.query("select distinct movement_type from marts.fct_mrr")}
    assert types == {"new", "expansion", "contraction", "churn", "reactivation", "none"}


def test_customer_month_mrr_and_movements_follow_the_metric_contract(
        revenue: RevenueWarehouse, reference: Reference) -> None:
    actual = {(t, c, m): rest for t, c, m, *rest in revenue.query("""
        select tenant_id, customer_id, month_start, mrr, previous_mrr, movement_type,
               mrr_group, previous_mrr_group, movement_type_group, movement_amount, arr
        from marts.fct_mrr""")}
    expected = {(t, c, row[0]): row[1:] for (t, c), rows in reference.customers.items() for row in rows}
    assert actual.keys() == expected.keys()
    for key, (mrr, previous, kind, mrr_group, previous_group, kind_group) in expected.items():
        got = actual[key]
        assert _close(got[0], mrr) and _close(got[1], previous), (key, got, mrr, previous)
        assert got[2] == kind, (key, got, mrr, previous)
        assert _close(got[3], mrr_group) and _close(got[4], previous_group), (key, got)
        assert got[5] == kind_group, (key, got, mrr_group, previous_group)
        assert got[6] == got[0] - got[1] and got[7] == 12 * got[0]


def _bridge(rows: list[tuple], reporting: bool) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for _, mrr, previous, kind, mrr_group, previous_group, kind_group in rows:
        if not reporting:
            mrr, previous, kind = mrr_group, previous_group, kind_group
        totals["opening_mrr"] += previous
        totals["closing_mrr"] += mrr
        if kind in ("new", "expansion", "reactivation"):
            totals[f"{kind}_mrr"] += mrr - previous
        elif kind in ("contraction", "churn"):
            totals["churned_mrr" if kind == "churn" else "contraction_mrr"] += previous - mrr
        totals["opening_customers"] += previous > 0
        totals["closing_customers"] += mrr > 0
        if kind != "none":
            totals[{"churn": "churned"}.get(kind, kind) + "_customers"] += 1
    return totals


BRIDGE_COLUMNS = ["opening_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr",
                  "churned_mrr", "closing_mrr", "opening_customers", "new_customers",
                  "expansion_customers", "reactivation_customers", "contraction_customers",
                  "churned_customers", "closing_customers"]


def test_bridges_equal_the_reference_and_close_exactly(revenue: RevenueWarehouse, reference: Reference) -> None:
    by_tenant_month: dict[tuple, list] = defaultdict(list)
    by_month: dict[date, list] = defaultdict(list)
    for (tenant, _), rows in reference.customers.items():
        for row in rows:
            by_tenant_month[(tenant, row[0])].append(row)
            by_month[row[0]].append(row)
    columns = ", ".join(BRIDGE_COLUMNS)
    tenant_bridge = {(t, m): dict(zip(BRIDGE_COLUMNS, rest)) for t, m, *rest in revenue.query(
        f"select tenant_id, month_start, {columns} from marts.kpi_mrr_bridge order by 1, 2")}
    consolidated = {m: dict(zip(BRIDGE_COLUMNS, rest)) for m, *rest in revenue.query(
        f"select month_start, {columns} from marts.kpi_mrr_bridge_consolidated order by 1")}
    assert tenant_bridge.keys() == by_tenant_month.keys()
    assert consolidated.keys() == by_month.keys()
    for actual, expected_rows, reporting in (
            *((tenant_bridge[k], v, True) for k, v in by_tenant_month.items()),
            *((consolidated[k], v, False) for k, v in by_month.items())):
        expected = _bridge(expected_rows, reporting)
        for column in BRIDGE_COLUMNS:
            assert _close(actual[column], expected[column]), (column, actual, dict(expected))
    # Exactly, in the warehouse's decimals: the identity and opening = last closing.
    for bridge in (tenant_bridge, {("all", m): v for m, v in consolidated.items()}):
        previous: dict[str, Decimal] = {}
        for (tenant, month), b in sorted(bridge.items()):
            assert (b["opening_mrr"] + b["new_mrr"] + b["expansion_mrr"] + b["reactivation_mrr"]
                    - b["contraction_mrr"] - b["churned_mrr"]) == b["closing_mrr"], (tenant, month)
            assert b["opening_mrr"] == previous.get(tenant, Decimal(0)), (tenant, month)
            previous[tenant] = b["closing_mrr"]


def _retention(rows_now: list[tuple], rows_then: dict[tuple, tuple], reporting: bool) -> dict:
    i = 1 if reporting else 4
    mrr = sum(r[1][i] for r in rows_now)
    active = sum(r[1][i] > 0 for r in rows_now)
    opening = sum(r[1][i + 1] > 0 for r in rows_now)
    churned = sum(r[1][i + 2] == "churn" for r in rows_now)
    cohort = [(rows_then[k][i], row[i]) for k, row in rows_now if k in rows_then and rows_then[k][i] > 0]
    then_ = sum(t for t, _ in cohort)
    return {
        "mrr": mrr, "active_customers": active, "arpa": mrr / active if active else None,
        "logo_churn_rate": Decimal(churned) / opening if opening else None,
        "cohort_customers": len(cohort),
        "nrr": sum(n for _, n in cohort) / then_ if then_ else None,
        "grr": sum(min(n, t) for t, n in cohort) / then_ if then_ else None,
    }


def test_retention_kpis_follow_the_metric_contract(revenue: RevenueWarehouse, reference: Reference) -> None:
    rows = {(t, c, r[0]): r for (t, c), rs in reference.customers.items() for r in rs}
    columns = ["mrr", "active_customers", "arpa", "logo_churn_rate", "cohort_customers", "nrr", "grr"]
    tenant_kpis = {(t, m): dict(zip(columns, rest)) for t, m, *rest in revenue.query(
        f"select tenant_id, month_start, {', '.join(columns)} from marts.kpi_retention")}
    consolidated = {m: dict(zip(columns, rest)) for m, *rest in revenue.query(
        f"select month_start, {', '.join(columns)} from marts.kpi_retention_consolidated")}

    def expected(month: date, tenant: str | None, reporting: bool) -> dict:
        then = month.replace(year=month.year - 1)
        now = [((t, c), r) for (t, c, m), r in rows.items() if m == month and tenant in (None, t)]
        before = {(t, c): r for (t, c, m), r in rows.items() if m == then and tenant in (None, t)}
        return _retention(now, before, reporting)

    def tolerance(column: str) -> Decimal:
        return RATIO_TOLERANCE if column in ("nrr", "grr", "logo_churn_rate") else TOLERANCE

    checked_nrr = 0
    for (tenant, month), actual in tenant_kpis.items():
        for column, value in expected(month, tenant, True).items():
            assert _close(actual[column], value, tolerance(column)), (tenant, month, column, actual)
        checked_nrr += actual["nrr"] is not None
    for month, actual in consolidated.items():
        for column, value in expected(month, None, False).items():
            assert _close(actual[column], value, tolerance(column)), (month, column, actual)
    assert checked_nrr > 12


def test_line_months_trace_back_to_loaded_line_items(revenue: RevenueWarehouse) -> None:
    orphans, = revenue.query("""
        select count(*) from marts.fct_subscription_line_months as m
        left join raw.subscription_line_items as r
            on r.tenant_id = m.tenant_id and r.line_item_id = m.line_item_id
            and r._batch_id = m._batch_id and r._source_row = m._source_row
        where r.line_item_id is null""")[0]
    assert orphans == 0
    untraced, = revenue.query(
        "select count(*) from marts.fct_mrr where mrr > 0 and (_batch_ids is null or active_line_items = 0)")[0]
    assert untraced == 0


def test_dimensions_agree_with_the_mrr_facts(revenue: RevenueWarehouse) -> None:
    for model in DIMENSIONS:
        assert revenue.query(f"select count(*) from marts.{model}")[0][0] > 0, model
    by_tenant = revenue.query("""
        select b.tenant_id, b.closing_mrr, c.current_mrr, k.current_mrr, c.active, c.churned,
               b.closing_customers, f.churned
        from marts.kpi_mrr_bridge as b
        inner join (
            select tenant_id, sum(current_mrr) as current_mrr,
                   count(case when customer_status = 'active' then 1 end) as active,
                   count(case when customer_status = 'churned' then 1 end) as churned
            from marts.dim_customer group by tenant_id) as c on c.tenant_id = b.tenant_id
        inner join (
            select tenant_id, sum(current_mrr) as current_mrr
            from marts.dim_contract group by tenant_id) as k on k.tenant_id = b.tenant_id
        inner join (
            select tenant_id, count(case when mrr = 0 then 1 end) as churned
            from marts.fct_mrr where month_start = ? group by tenant_id) as f on f.tenant_id = b.tenant_id
        where b.month_start = ?""", [AS_OF_MONTH, AS_OF_MONTH])
    assert len(by_tenant) == 3
    for tenant, closing, customers, contracts, active, churned, closing_customers, zero in by_tenant:
        assert closing == customers == contracts, tenant
        assert (active, churned) == (closing_customers, zero), tenant


# One YAML per model (`_<model>.yml`) in each revenue folder.
DOCUMENTED = {
    "intermediate": "dbt_project/models/intermediate/revenue",
    "marts": "dbt_project/models/marts/revenue",
}


@pytest.mark.parametrize("schema", ["intermediate", "marts"])
def test_every_revenue_model_and_column_is_documented_in_order(revenue: RevenueWarehouse,
                                                               schema: str) -> None:
    models = [model for path in sorted((REPO_ROOT / DOCUMENTED[schema]).glob("_*.yml"))
              for model in yaml.safe_load(path.read_text()).get("models", [])]
    assert models
    for model in models:
        assert model.get("description"), model["name"]
        assert all(c.get("description") for c in model["columns"]), model["name"]
        actual = [r[0] for r in revenue.query(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position", [schema, model["name"]])]
        assert actual == [c["name"] for c in model["columns"]], model["name"]
