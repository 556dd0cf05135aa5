"""The revenue models reproduce dbt-labs/mrr-playbook on its own data (the shared mrr-playbook data set).

A tiny warehouse whose raw tables hold the playbook's subscription periods - one USD tenant,
one customer per customer_id, one contract and one recurring monthly line item (quantity 1,
unit_price = monthly_amount, no discount) per subscription - is built with dbt as of the
playbook's last month. From 2018-02 on (the playbook's spine starts at 2018-01, so its 2018-01
`new` holds what was already running), every month's total MRR, active customers and every
movement amount and count equal the playbook's monthly summary, and every customer-month's MRR
and movement equal its mrr.csv.

Where the playbook and the metric contract differ (none of it changes a number compared here):
- the playbook stops a customer's rows one month after its last active month; fct_mrr carries
  the zero months on to the as-of month (every month has a well-defined movement), so rows the
  playbook lacks must be MRR 0 with movement `none`;
- the playbook spine starts at 2018-01: customers 2, 3 and 4 (all periods in 2017) are absent
  there, present here with their 2017 movements and zero months since;
- the playbook names the movements upgrade / downgrade; the contract expansion / contraction,
  and the playbook's unchanged months have no category where fct_mrr says `none`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_runner import DbtRun, run_dbt
from shared_data import MRR_PLAYBOOK, require

from ingestion.loader.schema import ensure_raw_schema

FIXTURES = require(MRR_PLAYBOOK)
TENANT = "TEN-PB"
LOADED_AT = datetime(2020, 3, 1)
COMPARE_FROM = date(2018, 2, 1)
PLAYBOOK_CATEGORY = {"new": "new", "upgrade": "expansion", "downgrade": "contraction",
                     "churn": "churn", "reactivation": "reactivation", "": "none"}


@dataclass
class PlaybookWarehouse:
    path: Path
    build: DbtRun

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, parameters or []).fetchall()


def _read_csv(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(newline="") as f:
        return list(csv.DictReader(f))


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Insert rows by column name, each with its lineage columns."""
    rows = [{**row, "_batch_id": f"playbook-{table}", "_source_file": f"mrr_playbook/{table}.csv",
             "_source_row": i, "_loaded_at": LOADED_AT} for i, row in enumerate(rows, 1)]
    columns = list(rows[0])
    con.executemany(
        f"insert into raw.{table} ({', '.join(columns)}) values ({', '.join(['?'] * len(columns))})",
        [[row[c] for c in columns] for row in rows])


def _load_raw(path: Path, periods: list[dict[str, str]]) -> None:
    """Raw rows standing for the playbook's subscription periods (every raw table exists)."""
    created = datetime(2017, 1, 1)
    with duckdb.connect(str(path)) as con:
        ensure_raw_schema(con)
        _insert(con, "tenants", [{
            "tenant_id": TENANT, "tenant_name": "mrr-playbook", "tenant_type": "operating_company",
            "reporting_currency": "USD", "country_code": "US", "fiscal_year_start_month": 1,
            "created_at": created}])
        _insert(con, "products", [{
            "tenant_id": TENANT, "product_id": "PRD-PB", "product_name": "Playbook subscription",
            "product_family": "platform", "billing_model": "recurring", "unit_of_measure": "account",
            "is_device": False, "is_active": True}])
        _insert(con, "customers", [{
            "tenant_id": TENANT, "customer_id": str(c), "customer_name": f"Playbook customer {c}",
            "segment": "smb", "region": "na", "industry": "software", "country_code": "US",
            "billing_currency": "USD", "partner_id": None, "created_at": created}
            for c in sorted({int(p["customer_id"]) for p in periods})])
        contracts, lines = [], []
        for p in periods:
            start, end = date.fromisoformat(p["start_date"]), date.fromisoformat(p["end_date"])
            amount, months = Decimal(p["monthly_amount"]), _months_between(start, end)
            keys = {"tenant_id": TENANT, "contract_id": p["subscription_id"], "customer_id": p["customer_id"]}
            contracts.append(dict(
                **keys, contract_type="new", status="expired", signed_date=start,
                service_activated_date=start, start_date=start, end_date=end, term_months=months,
                billing_frequency="monthly", payment_terms_days=30, currency="USD",
                total_contract_value=amount * months, auto_renew=False))
            lines.append(dict(
                **keys, line_item_id=p["subscription_id"], product_id="PRD-PB",
                billing_model="recurring", billing_period="monthly", quantity=Decimal(1),
                unit_price=amount, discount_pct=Decimal(0), currency="USD",
                start_date=start, end_date=end))
        _insert(con, "contracts", contracts)
        _insert(con, "subscription_line_items", lines)


@pytest.fixture(scope="module")
def playbook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaybookWarehouse]:
    base = tmp_path_factory.mktemp("mrr-playbook")
    periods = _read_csv("subscription_periods.csv")
    last_month = max(date.fromisoformat(p["end_date"]) for p in periods)
    path = base / "playbook.duckdb"
    _load_raw(path, periods)
    # The revenue marts and their ancestors (+ the customers their keys point at), without
    # the staging views' own tests (test_staging_*.py). Cautious indirect selection: only
    # tests whose every parent is built here, so other domains' tests stay out.
    build = run_dbt(["build", "--select", "+path:models/marts/revenue", "stg_crm__customers",
                     "--indirect-selection", "cautious",
                     "--exclude", "path:models/staging,resource_type:test",
                     "path:models/staging,resource_type:unit_test",
                     "--vars", f"{{as_of_date: '{last_month.isoformat()}'}}"], path, base / "dbt")
    yield PlaybookWarehouse(path, build)


def test_build_passes_every_model_and_test_without_warnings(playbook: PlaybookWarehouse) -> None:
    assert playbook.build.result.success, playbook.build.result.exception
    statuses = {str(r.status) for r in playbook.build.node_results}
    assert statuses <= {"success", "pass"}, statuses
    assert playbook.build.warnings == []


FROM_CUSTOMER_MONTHS = """
    select
        month_start,
        sum(mrr),
        count(case when mrr > 0 then 1 end),
        sum(case when movement_type = 'new' then movement_amount else 0 end),
        sum(case when movement_type = 'expansion' then movement_amount else 0 end),
        sum(case when movement_type = 'contraction' then movement_amount else 0 end),
        sum(case when movement_type = 'churn' then movement_amount else 0 end),
        sum(case when movement_type = 'reactivation' then movement_amount else 0 end),
        count(case when movement_type = 'new' then 1 end),
        count(case when movement_type = 'expansion' then 1 end),
        count(case when movement_type = 'contraction' then 1 end),
        count(case when movement_type = 'churn' then 1 end),
        count(case when movement_type = 'reactivation' then 1 end)
    from marts.fct_mrr
    where month_start >= ?
    group by month_start
"""
# The bridge stores contraction and churn as positive magnitudes; the playbook as negatives.
FROM_BRIDGE = """
    select
        month_start, closing_mrr, closing_customers, new_mrr, expansion_mrr, -contraction_mrr,
        -churned_mrr, reactivation_mrr, new_customers, expansion_customers,
        contraction_customers, churned_customers, reactivation_customers
    from marts.kpi_mrr_bridge
    where month_start >= ?
"""


def _playbook_summary() -> dict[date, tuple]:
    summary = {}
    for row in _read_csv("expected/monthly_summary.csv"):
        month = date.fromisoformat(row["date_month"])
        if month >= COMPARE_FROM:
            summary[month] = (
                Decimal(row["total_mrr"]), int(row["active_customers"]),
                *(Decimal(row[c]) for c in ("new_mrr", "expansion_mrr", "contraction_mrr",
                                            "churned_mrr", "reactivation_mrr")),
                *(int(row[c]) for c in ("n_new", "n_upgrade", "n_downgrade", "n_churn",
                                        "n_reactivation")),
            )
    return summary


@pytest.mark.parametrize("sql", [FROM_CUSTOMER_MONTHS, FROM_BRIDGE], ids=["fct_mrr", "kpi_mrr_bridge"])
def test_monthly_mrr_and_movements_equal_the_playbook_summary(playbook: PlaybookWarehouse,
                                                              sql: str) -> None:
    expected = _playbook_summary()
    assert len(expected) == 25
    actual = {row[0]: tuple(row[1:]) for row in playbook.query(sql, [COMPARE_FROM])}
    assert actual == expected


def test_customer_months_equal_the_playbook_mrr(playbook: PlaybookWarehouse) -> None:
    actual = {(c, m): (mrr, t) for c, m, mrr, t in playbook.query(
        "select customer_id, month_start, mrr, movement_type from marts.fct_mrr where month_start >= ?",
        [COMPARE_FROM])}
    expected = {(row["customer_id"], date.fromisoformat(row["date_month"])):
                (Decimal(row["mrr"]), PLAYBOOK_CATEGORY[row["change_category"]])
                for row in _read_csv("expected/mrr.csv")
                if date.fromisoformat(row["date_month"]) >= COMPARE_FROM}
    assert len(expected) > 350
    missing = expected.keys() - actual.keys()
    assert not missing
    assert {k: actual[k] for k in expected} == expected
    # Rows the playbook does not have: zero months after a last churn, or customers whose
    # periods all ended before its spine starts.
    extra = {k: v for k, v in actual.items() if k not in expected}
    assert extra and set(extra.values()) == {(Decimal(0), "none")}


def test_playbook_bridge_closes_and_opens_on_last_closing(playbook: PlaybookWarehouse) -> None:
    rows = playbook.query("""
        select month_start, opening_mrr, new_mrr, expansion_mrr, reactivation_mrr,
               contraction_mrr, churned_mrr, closing_mrr
        from marts.kpi_mrr_bridge order by month_start""")
    assert rows[0][0] == date(2017, 9, 1) and rows[-1][0] == date(2020, 2, 1)
    previous_closing = Decimal(0)
    for month, opening, new, expansion, reactivation, contraction, churned, closing in rows:
        assert opening == previous_closing, month
        assert opening + new + expansion + reactivation - contraction - churned == closing, month
        previous_closing = closing
    assert previous_closing == 0
