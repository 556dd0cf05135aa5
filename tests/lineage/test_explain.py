"""`opsintel explain`: for every supported KPI the rows shown add up to the mart's figure, and
the command fails in one clear line when it cannot explain."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from foundation.warehouse import Warehouse
from opsintel.cli import cli
from reporting.explain import KPIS, explain

if TYPE_CHECKING:
    from conftest import BuiltCompany

# The mart column each KPI's figure is, to read it independently of reporting/explain.py.
FIGURE_COLUMNS = {
    "mrr": ("kpi_mrr_bridge", "closing_mrr", "month_start"),
    "arr": ("kpi_mrr_bridge", "closing_arr", "month_start"),
    "new": ("kpi_mrr_bridge", "new_mrr", "month_start"),
    "expansion": ("kpi_mrr_bridge", "expansion_mrr", "month_start"),
    "reactivation": ("kpi_mrr_bridge", "reactivation_mrr", "month_start"),
    "contraction": ("kpi_mrr_bridge", "contraction_mrr", "month_start"),
    "churn": ("kpi_mrr_bridge", "churned_mrr", "month_start"),
    "nrr": ("kpi_retention", "nrr", "month_start"),
    "grr": ("kpi_retention", "grr", "month_start"),
    "logo_churn": ("kpi_retention", "logo_churn_rate", "month_start"),
    "revenue_leakage": ("kpi_revenue_leakage", "leakage_amount_reporting", "leakage_month"),
    "unbilled_work": ("kpi_unbilled_work", "unbilled_amount_reporting", "date_trunc('month', as_of_date)"),
    "ar_aging": ("kpi_ar_aging", "ar_total_amount_reporting", "aging_month"),
    "dso": ("kpi_dso", "dso_days", "aging_month"),
}

# Averages and ratios over contracts, projects, orders and statements, and margin: each has its
# own hand checks in test_explain_operations.py.
OPERATIONS_KPIS = {"activation_lag", "first_invoice_delay", "implementation", "margin",
                   "procurement_lead_time", "partner_settlements"}


def test_every_supported_kpi_is_covered() -> None:
    assert set(FIGURE_COLUMNS) | OPERATIONS_KPIS == set(KPIS)
    assert not set(FIGURE_COLUMNS) & OPERATIONS_KPIS


def _month_with_largest_figure(company: BuiltCompany, kpi: str) -> tuple[str, date, Decimal]:
    """The tenant-month where the KPI is largest (so rows exist), read straight from the mart."""
    mart, column, month = FIGURE_COLUMNS[kpi]
    with company.reader() as con:
        return tuple(con.execute(f"""
            select tenant_id, cast({month} as date) as month, sum({column}) as figure
            from marts.{mart} group by all having sum({column}) is not null
            order by figure desc, tenant_id, month limit 1""").fetchall()[0])


@pytest.mark.parametrize("kpi", list(FIGURE_COLUMNS))
def test_rows_add_up_to_the_figure(company: BuiltCompany, kpi: str) -> None:
    tenant, month, figure = _month_with_largest_figure(company, kpi)
    with company.reader() as con:
        result = explain(con, kpi, tenant, month)
    assert result.figure["figure"] == figure
    assert result.adds_up, (result.totals, result.row_sums)
    if figure:
        assert result.rows and result.batches
    # Single-currency money KPIs: the shown rows themselves sum to the figure.
    checked = KPIS[kpi].checked
    if kpi in ("mrr", "arr", "new", "expansion", "reactivation", "contraction", "churn"):
        column = result.columns.index(checked[0])
        assert sum(row[column] for row in result.rows) == figure


def test_ratio_figures_are_the_rows_ratio(company: BuiltCompany) -> None:
    tenant, month, nrr = _month_with_largest_figure(company, "nrr")
    with company.reader() as con:
        result = explain(con, "nrr", tenant, month)
    then_at, now_at = result.columns.index("mrr_then"), result.columns.index("mrr_now")
    then_sum = sum(row[then_at] for row in result.rows)
    now_sum = sum(row[now_at] for row in result.rows)
    assert abs(now_sum / then_sum - nrr) < Decimal("0.000001")


def test_a_tampered_figure_is_reported_as_not_adding_up(company: BuiltCompany, tmp_path: Path) -> None:
    copy = company.copy_to(tmp_path)
    tenant, month, _ = _month_with_largest_figure(company, "mrr")
    with Warehouse(copy.path).writer() as con:
        con.execute("update marts.kpi_mrr_bridge set closing_mrr = closing_mrr + 1 "
                    "where tenant_id = ? and month_start = ?", [tenant, month])
    result = CliRunner().invoke(cli, ["explain", "mrr", "--tenant", tenant, "--month", f"{month:%Y-%m}",
                                      "--warehouse", str(copy.path)])
    assert result.exit_code == 1
    assert "rows add up to the figure: NO" in result.output


def test_cli_table_csv_and_json(company: BuiltCompany) -> None:
    tenant, month, figure = _month_with_largest_figure(company, "revenue_leakage")
    args = ["explain", "revenue_leakage", "--tenant", tenant, "--month", f"{month:%Y-%m}",
            "--warehouse", str(company.path)]
    runner = CliRunner()
    table = runner.invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "rows add up to the figure: yes" in table.output
    assert "Load batches of these rows" in table.output
    as_json = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    assert Decimal(as_json["figure"]["figure"]) == figure and as_json["rows_add_up"] is True
    leak_by_currency: dict[str, Decimal] = {}
    for row in as_json["rows"]:
        leak_by_currency[row["currency"]] = leak_by_currency.get(row["currency"], 0) + Decimal(row["leakage_amount"])
    assert leak_by_currency == {c: Decimal(v["leakage_amount"]) for c, v in as_json["totals"].items()}
    as_csv = runner.invoke(cli, [*args, "--format", "csv"])
    lines = as_csv.stdout.strip().split("\n")
    assert lines[0].split(",")[:3] == ["customer_id", "currency", "line_item_id"]
    assert len(lines) - 1 == len(as_json["rows"])


def test_customer_rows_and_raw_source_rows(company: BuiltCompany) -> None:
    tenant, month, _ = _month_with_largest_figure(company, "mrr")
    with company.reader() as con:
        customer, mrr = con.execute(
            "select customer_id, mrr from marts.fct_mrr where tenant_id = ? and month_start = ? "
            "and mrr > 0 order by customer_id limit 1", [tenant, month]).fetchall()[0]
        lines = con.execute("""
            select distinct _source_file, _source_row from raw.subscription_line_items
            where tenant_id = ? and customer_id = ? and billing_model = 'recurring'
              and start_date <= ? and (end_date is null or end_date > ?)""",
            [tenant, customer, month, month]).fetchall()
        result = explain(con, "mrr", tenant, month, customer)
    assert [row[0] for row in result.rows] == [customer]
    assert result.rows[0][result.columns.index("mrr")] == mrr
    shown = {(s["_source_file"], s["_source_row"]) for s in result.sources}
    assert lines and set(lines) <= shown


def _one_line_error(args: list[str], exit_code: int = 1) -> str:
    result = CliRunner().invoke(cli, ["explain", *args])
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
    return result.stderr


def test_cli_errors_are_one_line(company: BuiltCompany, tmp_path: Path) -> None:
    where = ["--warehouse", str(company.path)]
    assert "unknown tenant 'TEN-999'" in _one_line_error(["mrr", "--tenant", "TEN-999", "--month", "2026-01", *where])
    assert "no mrr figure for tenant TEN-001 in 1990-01" in _one_line_error(
        ["mrr", "--tenant", "TEN-001", "--month", "1990-01", *where])
    assert "no published warehouse" in _one_line_error(
        ["mrr", "--tenant", "TEN-001", "--month", "2026-01", "--warehouse", str(tmp_path / "none.duckdb")])
    unknown = _one_line_error(["bookings", "--tenant", "TEN-001", "--month", "2026-01", *where], exit_code=2)
    assert all(name in unknown for name in KPIS)
    assert "not a month" in _one_line_error(["mrr", "--tenant", "TEN-001", "--month", "2026-1-5", *where], 2)


def test_help_lists_every_kpi() -> None:
    result = CliRunner().invoke(cli, ["explain", "--help"])
    assert result.exit_code == 0
    assert all(name in result.output for name in KPIS)
