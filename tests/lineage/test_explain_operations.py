"""`opsintel explain` for the delivery, supply and partner KPIs: each figure and the rows behind it
recomputed in plain Python from the `raw` tables (or the generator's truth), independent of the
SQL of the marts and of reporting/explain.py; the averages of the rows equal the figure, and a
mart changed behind the rows' back is reported as not adding up."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from dbt_runner import run_dbt

from foundation.warehouse import Warehouse
from opsintel.cli import cli
from reporting.explain import ExplainError, Explanation, explain

if TYPE_CHECKING:
    from conftest import BuiltCompany


def _raw(company: BuiltCompany, sql: str, params: list | None = None) -> list[dict]:
    with company.reader() as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _as_of(company: BuiltCompany) -> date:
    return _raw(company, "select max(as_of_date) as as_of from marts.kpi_unbilled_work")[0]["as_of"]


def _explained(company: BuiltCompany, kpi: str, tenant: str, month: date,
               customer: str | None = None) -> Explanation:
    with company.reader() as con:
        return explain(con, kpi, tenant, month, customer)


def _column(result: Explanation, name: str) -> list:
    at = result.columns.index(name)
    return [row[at] for row in result.rows]


def _month(day: date) -> date:
    return day.replace(day=1)


def _busiest(rows: list[dict], key) -> tuple[str, date]:
    """The tenant-month with the most rows (ties: first tenant, first month)."""
    counts: dict[tuple[str, date], int] = defaultdict(int)
    for row in rows:
        counts[(row["tenant_id"], _month(key(row)))] += 1
    return min(counts, key=lambda k: (-counts[k], k))


def _mean(values: list[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _assert_traced(result: Explanation, sources: set[str]) -> None:
    """Every row carries lineage, and its batches are loads of exactly these sources."""
    assert all(_column(result, "_batch_ids"))
    assert {b["source"] for b in result.batches} == sources


def test_activation_lag_is_the_average_of_the_contracts_signed_in_the_month(company: BuiltCompany) -> None:
    as_of = _as_of(company)
    contracts = _raw(company, "select * from raw.contracts where signed_date <= ?", [as_of])
    tenant, month = _busiest(contracts, lambda c: c["signed_date"])
    signed = [c for c in contracts if c["tenant_id"] == tenant and _month(c["signed_date"]) == month]
    lags = {c["contract_id"]: (c["service_activated_date"] - c["signed_date"]).days for c in signed
            if c["service_activated_date"] is not None and c["service_activated_date"] <= as_of}
    assert lags

    result = _explained(company, "activation_lag", tenant, month)
    assert sorted(_column(result, "contract_id")) == sorted(c["contract_id"] for c in signed)
    shown = dict(zip(_column(result, "contract_id"), _column(result, "activation_lag_days")))
    assert {k: v for k, v in shown.items() if v is not None} == lags
    assert abs(result.figure["figure"] - Decimal(float(_mean(list(lags.values()))))) <= Decimal("0.05")
    assert result.figure["contracts"] == len(signed) and result.figure["longest"] == max(lags.values())
    assert result.adds_up, (result.totals, result.row_sums)
    _assert_traced(result, {"crm"})


def test_first_invoice_delay_takes_each_contracts_first_valid_invoice(company: BuiltCompany) -> None:
    as_of = _as_of(company)
    contracts = _raw(company, "select * from raw.contracts where service_activated_date <= ?", [as_of])
    first_invoice: dict[tuple[str, str], date] = {}
    for invoice in _raw(company, """select tenant_id, contract_id, invoice_date from raw.invoices
                                    where status <> 'void' and contract_id is not null and invoice_date <= ?""",
                        [as_of]):
        key = (invoice["tenant_id"], invoice["contract_id"])
        first_invoice[key] = min(first_invoice.get(key, invoice["invoice_date"]), invoice["invoice_date"])
    tenant, month = _busiest(contracts, lambda c: c["service_activated_date"])
    activated = [c for c in contracts if c["tenant_id"] == tenant and _month(c["service_activated_date"]) == month]
    delays = {c["contract_id"]: (first_invoice[(tenant, c["contract_id"])] - c["service_activated_date"]).days
              for c in activated if (tenant, c["contract_id"]) in first_invoice}
    assert delays

    result = _explained(company, "first_invoice_delay", tenant, month)
    shown = dict(zip(_column(result, "contract_id"), _column(result, "first_invoice_delay_days")))
    assert sorted(shown) == sorted(c["contract_id"] for c in activated)
    assert {k: v for k, v in shown.items() if v is not None} == delays
    assert abs(result.figure["figure"] - Decimal(float(_mean(list(delays.values()))))) <= Decimal("0.05")
    assert result.adds_up, (result.totals, result.row_sums)
    _assert_traced(result, {"crm", "billing"})


def test_contracts_still_waiting_for_a_first_invoice_are_the_rows_of_a_month_without_figure(
        company: BuiltCompany, tmp_path: Path) -> None:
    copy = company.copy_to(tmp_path)
    as_of = _as_of(company)
    contracts = _raw(copy, "select * from raw.contracts where service_activated_date <= ?", [as_of])
    counts: dict[tuple[str, date], list[dict]] = defaultdict(list)
    for c in contracts:
        counts[(c["tenant_id"], _month(c["service_activated_date"]))].append(c)
    (tenant, month), activated = min(counts.items(), key=lambda item: (len(item[1]), item[0]))
    # Every invoice of the month's contracts voided: none of them has a first invoice any more.
    with Warehouse(copy.path).writer() as con:
        con.execute("update raw.invoices set status = 'void' "
                    "where tenant_id = ? and contract_id in (select unnest(?))",
                    [tenant, [c["contract_id"] for c in activated]])
    run = run_dbt(["run", "--select", "kpi_first_invoice_delay+"], copy.path, copy.work)
    assert run.result.success, run.result.exception
    Warehouse(copy.path).publish()

    result = _explained(copy, "first_invoice_delay", tenant, month)
    rows = {r["contract_id"]: r for r in (dict(zip(result.columns, row)) for row in result.rows)}
    assert {c: (r["days_waiting"], r["first_invoice_delay_days"]) for c, r in rows.items()} == {
        c["contract_id"]: ((as_of - c["service_activated_date"]).days, None) for c in activated}
    assert result.figure["figure"] is None and result.adds_up, (result.totals, result.row_sums)
    shown = CliRunner().invoke(cli, ["explain", "first_invoice_delay", "--tenant", tenant,
                                     "--month", f"{month:%Y-%m}", "--warehouse", str(copy.path)])
    assert shown.exit_code == 0, shown.output
    assert f"first_invoice_delay of {tenant} in {month:%Y-%m}: none yet" in shown.output
    assert all(c["contract_id"] in shown.output for c in activated)


def test_implementation_cycle_time_is_the_average_of_the_projects_gone_live(company: BuiltCompany) -> None:
    as_of = _as_of(company)
    projects = _raw(company, """select * from raw.implementation_projects
                                where status <> 'cancelled' and actual_go_live_date <= ?""", [as_of])
    tenant, month = _busiest(projects, lambda p: p["actual_go_live_date"])
    live = [p for p in projects if p["tenant_id"] == tenant and _month(p["actual_go_live_date"]) == month]
    cycle = {p["project_id"]: (p["actual_go_live_date"] - p["start_date"]).days for p in live}
    slip = {p["project_id"]: (p["actual_go_live_date"] - p["planned_go_live_date"]).days for p in live}

    result = _explained(company, "implementation", tenant, month)
    assert dict(zip(_column(result, "project_id"), _column(result, "cycle_time_days"))) == cycle
    assert dict(zip(_column(result, "project_id"), _column(result, "go_live_slip_days"))) == slip
    assert result.figure["figure"] == pytest.approx(float(_mean(list(cycle.values()))), abs=1e-9)
    assert result.figure["projects_went_live"] == len(live)
    assert result.figure["projects_live_late"] == sum(1 for days in slip.values() if days > 0)
    assert result.adds_up, (result.totals, result.row_sums)
    _assert_traced(result, {"projects"})


def _fully_received(company: BuiltCompany, as_of: date) -> dict[tuple[str, str], date]:
    """Per order: the receipt date at which the received quantity first reaches the ordered one."""
    ordered = {(o["tenant_id"], o["po_id"]): o["quantity"]
               for o in _raw(company, "select tenant_id, po_id, quantity from raw.purchase_orders")}
    receipts = _raw(company, """select tenant_id, po_id, receipt_id, received_date, quantity_received
                                from raw.receipts where received_date <= ?
                                order by tenant_id, po_id, received_date, receipt_id""", [as_of])
    received: dict[tuple[str, str], int] = defaultdict(int)
    done: dict[tuple[str, str], date] = {}
    for receipt in receipts:
        key = (receipt["tenant_id"], receipt["po_id"])
        received[key] += receipt["quantity_received"]
        if key not in done and key in ordered and received[key] >= ordered[key]:
            done[key] = receipt["received_date"]
    return done


def test_procurement_lead_time_is_the_average_of_the_orders_fully_received(company: BuiltCompany) -> None:
    as_of = _as_of(company)
    orders = _raw(company, "select * from raw.purchase_orders where status <> 'cancelled' and ordered_date <= ?",
                  [as_of])
    done = _fully_received(company, as_of)
    tenant, month = _busiest([o for o in orders if (o["tenant_id"], o["po_id"]) in done],
                             lambda o: o["ordered_date"])
    placed = [o for o in orders if o["tenant_id"] == tenant and _month(o["ordered_date"]) == month]
    leads = {o["po_id"]: (done[(tenant, o["po_id"])] - o["ordered_date"]).days
             for o in placed if (tenant, o["po_id"]) in done}

    result = _explained(company, "procurement_lead_time", tenant, month)
    shown = dict(zip(_column(result, "po_id"), _column(result, "lead_time_days")))
    assert sorted(shown) == sorted(o["po_id"] for o in placed)
    assert {k: v for k, v in shown.items() if v is not None} == leads
    assert result.figure["figure"] == pytest.approx(float(_mean(list(leads.values()))), abs=1e-9)
    assert result.figure["purchase_orders"] == len(placed)
    assert result.adds_up, (result.totals, result.row_sums)
    _assert_traced(result, {"procurement"})


def test_partner_settlement_accuracy_flags_the_statements_the_generator_got_wrong(company: BuiltCompany) -> None:
    with (company.truth / "settlement_errors.csv").open() as f:
        wrong = {(r["tenant_id"], r["settlement_id"]): r for r in csv.DictReader(f)}
    statements = _raw(company, "select tenant_id, settlement_id, period_month from raw.partner_settlements")
    tenant, month = _busiest([s for s in statements if (s["tenant_id"], s["settlement_id"]) in wrong],
                             lambda s: s["period_month"])
    of_month = {s["settlement_id"] for s in statements if s["tenant_id"] == tenant and s["period_month"] == month}
    wrong_of_month = {sid for (t, sid) in wrong if t == tenant and sid in of_month}

    result = _explained(company, "partner_settlements", tenant, month)
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    assert {r["settlement_id"] for r in rows} == of_month
    assert {r["settlement_id"] for r in rows if r["accurate_statements"] == 0} == wrong_of_month
    assert result.figure["figure"] == pytest.approx((len(of_month) - len(wrong_of_month)) / len(of_month))
    for row in rows:
        if row["settlement_id"] in wrong_of_month:
            truth = wrong[(tenant, row["settlement_id"])]
            assert (row["expected_commission"], row["settled_commission"]) == (
                Decimal(truth["expected_commission"]), Decimal(truth["stated_commission"]))
    assert result.adds_up, (result.totals, result.row_sums)
    _assert_traced(result, {"partners", "billing"})


def test_margin_rows_add_up_and_rest_on_the_customers_invoices(company: BuiltCompany) -> None:
    as_of = _as_of(company)
    invoices = _raw(company, "select * from raw.invoices where invoice_date <= ?", [as_of])
    tenant, month = _busiest(invoices, lambda i: i["invoice_date"])
    result = _explained(company, "margin", tenant, month)
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    assert sum(r["margin_reporting"] for r in rows) == result.figure["figure"]
    for r in rows:
        costs = r["device_cost_reporting"] + r["partner_commission_reporting"] + r["pass_through_cost_reporting"]
        assert r["margin_reporting"] == r["net_revenue_reporting"] - costs

    # By hand, for the customers billed only in their own currency, which is also the tenant's:
    # net revenue = subtotals of the month's valid invoices - its valid credit notes.
    reporting = _raw(company, "select reporting_currency from raw.tenants where tenant_id = ?",
                     [tenant])[0]["reporting_currency"]
    credits = _raw(company, """select customer_id, currency, amount, issued_date from raw.credit_notes
                               where tenant_id = ? and status <> 'void' and issued_date <= ?""", [tenant, as_of])
    documents = [(i["customer_id"], i["currency"], i["subtotal"] if i["status"] != "void" else 0)
                 for i in invoices if i["tenant_id"] == tenant and _month(i["invoice_date"]) == month]
    documents += [(c["customer_id"], c["currency"], -c["amount"])
                  for c in credits if _month(c["issued_date"]) == month]
    net: dict[str, Decimal] = defaultdict(Decimal)
    currencies: dict[str, set[str]] = defaultdict(set)
    for customer, currency, amount in documents:
        net[customer] += amount
        currencies[customer].add(currency)
    checked = [r for r in rows if r["currency"] == reporting and currencies.get(r["customer_id"]) == {reporting}]
    assert len(checked) >= 5
    for r in checked:
        assert r["net_revenue_reporting"] == net[r["customer_id"]], r["customer_id"]
    assert result.adds_up, (result.totals, result.row_sums)
    assert "billing" in {b["source"] for b in result.batches}


def test_one_customers_rows_and_the_raw_contract_rows_behind_them(company: BuiltCompany) -> None:
    as_of = _as_of(company)
    contracts = _raw(company, "select * from raw.contracts where signed_date <= ?", [as_of])
    tenant, month = _busiest(contracts, lambda c: c["signed_date"])
    of_month = [c for c in contracts if c["tenant_id"] == tenant and _month(c["signed_date"]) == month]
    customer = min(c["customer_id"] for c in of_month)
    theirs = {(c["_source_file"], c["_source_row"]) for c in of_month if c["customer_id"] == customer}
    result = _explained(company, "activation_lag", tenant, month, customer)
    assert set(_column(result, "customer_id")) == {customer}
    assert {(s["_source_file"], s["_source_row"]) for s in result.sources} == theirs
    with pytest.raises(ExplainError, match="not per customer"):
        _explained(company, "procurement_lead_time", tenant, month, customer)


# KPI: (mart changed, its month column, a condition for a month with rows, the change).
TAMPERINGS = {
    # an average the rows no longer have
    "procurement_lead_time": ("kpi_procurement_lead_time", "ordered_month", "fully_received_orders > 0",
                              "avg_lead_time_days = avg_lead_time_days + 0.5"),
    "activation_lag": ("kpi_activation_lag_monthly", "signed_month", "contracts_activated > 0",
                       "average_activation_lag_days = average_activation_lag_days + 0.1"),
    # a count or an amount the rows no longer have
    "implementation": ("kpi_implementation", "month_start", "projects_went_live > 0",
                       "projects_went_live = projects_went_live + 1"),
    "partner_settlements": ("kpi_partner_settlements", "period_month", "true",
                            "expected_commission = expected_commission + 0.01"),
}


@pytest.mark.parametrize("kpi", list(TAMPERINGS))
def test_a_mart_changed_behind_the_rows_is_reported(company: BuiltCompany, tmp_path: Path, kpi: str) -> None:
    mart, month_column, with_rows, change = TAMPERINGS[kpi]
    tenant, month = _raw(company, f"""select tenant_id, {month_column} as month from marts.{mart}
                                      where {with_rows} order by 1, 2 limit 1""")[0].values()
    args = ["explain", kpi, "--tenant", tenant, "--month", f"{month:%Y-%m}"]
    before = CliRunner().invoke(cli, [*args, "--warehouse", str(company.path)])
    assert before.exit_code == 0 and "rows add up to the figure: yes" in before.output, before.output
    copy = company.copy_to(tmp_path)
    with Warehouse(copy.path).writer() as con:
        con.execute(f"update marts.{mart} set {change} where tenant_id = ? and {month_column} = ?",
                    [tenant, month])
    after = CliRunner().invoke(cli, [*args, "--warehouse", str(copy.path)])
    assert after.exit_code == 1
    assert "rows add up to the figure: NO" in after.output
