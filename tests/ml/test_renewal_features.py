"""Renewal-risk features on a small built company: the right contracts, hand-checked values, no leakage.

The company is tests/dbt/conftest.py's (two tenants, scale 0.1, seed 11), built the same way with
tests/dbt/dbt_runner.py, as tests/lineage/conftest.py does.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_runner import run_dbt

from ingestion.generator import generate
from ingestion.loader import load_landing
from ingestion.warehouse import Warehouse
from ml.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, renewal_features

# Mid-month on purpose: the features must not read the as-of month's partial figures either.
AS_OF = date(2026, 5, 17)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("renewal-features")
    landing = base / "landing"
    generate(landing, base / "truth", tenants=2, scale=0.1, seed=11, dirty_rate=0.02)
    path = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(path), landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    build = run_dbt(["build"], path, base / "dbt")
    assert build.result.success, build.result.exception
    yield path


@pytest.fixture(scope="module")
def features(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return renewal_features(con, AS_OF)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _on_day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def test_one_row_per_contract_renewing_within_180_days(warehouse: Path, features: pd.DataFrame) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        contracts = _rows(con, "select tenant_id, contract_id, signed_date, end_date from marts.dim_contract")
    horizon = AS_OF + timedelta(days=180)
    expected = {(c["tenant_id"], c["contract_id"]) for c in contracts
                if c["signed_date"] < AS_OF < c["end_date"] <= horizon}
    got = list(zip(features["tenant_id"], features["contract_id"]))

    assert len(expected) > 10  # the fixture has enough renewals for the test to mean something
    assert len(got) == len(set(got))
    assert set(got) == expected
    renewal = features["renewal_date"].dt.date
    assert ((renewal > AS_OF) & (renewal <= horizon)).all()
    assert (features["within_90_days"] == (renewal <= AS_OF + timedelta(days=90))).all()
    assert features["within_90_days"].any() and not features["within_90_days"].all()
    assert features[list(NUMERIC_FEATURES)].dtypes.eq("float64").all()
    assert features[list(CATEGORICAL_FEATURES)].notna().all().all()


def test_feature_values_recomputed_by_hand_for_one_contract(warehouse: Path, features: pd.DataFrame) -> None:
    # the contract whose customer has the most support and payment activity, so zeros prove little
    busiest = features.sort_values(["tickets_180d", "late_payments_180d", "contract_id"], ascending=False).iloc[0]
    tenant, customer = busiest["tenant_id"], busiest["customer_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tickets = _rows(con, "select opened_at, is_escalated from marts.fct_support_tickets"
                             " where tenant_id = ? and customer_id = ?", tenant, customer)
        payments = _rows(con, "select received_date, is_succeeded, days_after_due from marts.fct_payments"
                              " where tenant_id = ? and customer_id = ?", tenant, customer)
        exceptions = _rows(con, "select due_date, first_invoice_date from marts.fct_billing_exceptions"
                                " where tenant_id = ? and customer_id = ?", tenant, customer)
        months = _rows(con, "select month_start, mrr from marts.fct_mrr where tenant_id = ? and customer_id = ?",
                       tenant, customer)
        contract = _rows(con, "select signed_date, service_activated_date from marts.dim_contract"
                              " where tenant_id = ? and contract_id = ?", tenant, busiest["contract_id"])[0]

    def in_last(days: int, day: date) -> bool:
        return AS_OF - timedelta(days=days) <= day < AS_OF

    opened = [(_on_day(t["opened_at"]), t["is_escalated"]) for t in tickets]
    assert busiest["tickets_180d"] == sum(in_last(180, day) for day, _ in opened) > 0
    assert busiest["escalations_180d"] == sum(in_last(180, day) and esc for day, esc in opened)
    assert busiest["escalations_60d"] == sum(in_last(60, day) and esc for day, esc in opened)
    assert busiest["late_payments_180d"] == sum(
        in_last(180, p["received_date"]) and p["is_succeeded"] and p["days_after_due"] > 0 for p in payments)
    # an exception that rests on an invoice issued from as_of on was not visible yet
    assert busiest["billing_exceptions_180d"] == sum(
        in_last(180, e["due_date"]) and (e["first_invoice_date"] or e["due_date"]) < AS_OF for e in exceptions)

    # MRR "now" is April 2026, the last complete month before the as-of month
    mrr = {m["month_start"]: float(m["mrr"]) for m in months}
    assert busiest["mrr_now"] == pytest.approx(mrr.get(date(2026, 4, 1), 0.0))
    assert busiest["mrr_change_3m"] == pytest.approx(mrr.get(date(2026, 4, 1), 0.0) - mrr.get(date(2026, 1, 1), 0.0))
    assert busiest["mrr_change_6m"] == pytest.approx(mrr.get(date(2026, 4, 1), 0.0) - mrr.get(date(2025, 10, 1), 0.0))
    first_active = min(month for month, value in mrr.items() if value > 0)
    assert busiest["tenure_months"] == (2026 - first_active.year) * 12 + (4 - first_active.month) + 1
    assert busiest["activation_lag_days"] == (contract["service_activated_date"] - contract["signed_date"]).days


def test_late_payments_and_billing_exceptions_recomputed_for_every_contract(
    warehouse: Path, features: pd.DataFrame,
) -> None:
    window = AS_OF - timedelta(days=180)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        payments = _rows(con, "select tenant_id, customer_id, received_date, is_succeeded, days_after_due"
                              " from marts.fct_payments")
        exceptions = _rows(con, "select tenant_id, customer_id, due_date, first_invoice_date"
                                " from marts.fct_billing_exceptions")
    late, flagged = Counter(), Counter()
    for p in payments:
        # paid on the due date is on time
        if window <= p["received_date"] < AS_OF and p["is_succeeded"] and p["days_after_due"] > 0:
            late[p["tenant_id"], p["customer_id"]] += 1
    for e in exceptions:
        if window <= e["due_date"] < AS_OF and (e["first_invoice_date"] or e["due_date"]) < AS_OF:
            flagged[e["tenant_id"], e["customer_id"]] += 1
    customers = list(zip(features["tenant_id"], features["customer_id"]))

    assert features["late_payments_180d"].tolist() == [late[c] for c in customers]
    assert features["billing_exceptions_180d"].tolist() == [flagged[c] for c in customers]
    assert features["late_payments_180d"].sum() > 0 and features["billing_exceptions_180d"].sum() > 0


def _erase_the_future(path: Path, as_of: date) -> None:
    """Delete every mart row dated on or after as_of and scramble the as-of-build state columns."""
    statements = [
        "delete from marts.dim_contract where signed_date >= $d",
        "delete from marts.fct_mrr where month_start >= $d",
        "delete from marts.fct_subscription_line_months where month_start >= $d",
        "delete from marts.fct_usage_daily where usage_date >= $d",
        "delete from marts.fct_support_tickets where opened_at >= $d",
        "delete from marts.fct_billing_exceptions where due_date >= $d or first_invoice_date >= $d",
        "delete from marts.fct_payments where received_date >= $d",
        "delete from raw.contract_amendments where signed_date >= $d or effective_date >= $d",
        # state as of the warehouse's build date, which lies after as_of
        "update marts.dim_contract set status = 'expired', is_in_term = false, current_mrr = -1",
        "update marts.dim_customer set customer_status = 'churned', current_mrr = -1, churn_count = 99",
    ]
    with duckdb.connect(str(path)) as con:
        for sql in statements:
            con.execute(sql, {"d": as_of} if "$d" in sql else None)


def test_features_do_not_change_when_everything_from_the_as_of_date_on_is_erased(
    warehouse: Path, features: pd.DataFrame, tmp_path: Path,
) -> None:
    past = tmp_path / "past.duckdb"
    shutil.copyfile(warehouse, past)
    _erase_the_future(past, AS_OF)
    with duckdb.connect(str(past), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_mrr where month_start >= ?", [AS_OF]).fetchall() == [(0,)]
        truncated = renewal_features(con, AS_OF)

    assert len(features) > 0
    pd.testing.assert_frame_equal(truncated, features)
