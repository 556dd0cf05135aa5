"""Renewal-risk features on a small built company: the right contracts, hand-checked values, no leakage.

The company is tests/dbt/conftest.py's (two tenants, scale 0.1, seed 11), built the same way with
tests/dbt/dbt_runner.py, as tests/lineage/conftest.py does; the features are the dbt model
int_renewal_features, rebuilt as of each date a test asks for.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_models import build_ml_models

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_runner import run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing
from ml.feature_models import FeatureModelError
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
    build_ml_models(path, AS_OF)
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
    assert (features["days_to_renewal"] == [(day - AS_OF).days for day in renewal]).all()
    assert list(features.columns).count("days_to_renewal") == 1
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
    assert busiest["escalations_365d"] == sum(in_last(365, day) and esc for day, esc in opened)
    renewal = busiest["renewal_date"].date()
    assert busiest["escalations_renewal_year"] == sum(
        esc and renewal - timedelta(days=395) <= day < min(AS_OF, renewal - timedelta(days=30)) for day, esc in opened)
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
        # an amendment signed before as_of is known, even if it takes effect on as_of
        "delete from raw.contract_amendments where signed_date >= $d or effective_date > $d",
        "delete from raw.subscription_line_items where start_date >= $d",
        "delete from raw.price_book_entries where valid_from >= $d",
        # a price's end date announces the next price: scramble it
        "update raw.price_book_entries set valid_to = date '2099-01-01'",
        "update marts.fct_milestones set completed_date = null, status = 'in_progress' where completed_date >= $d",
        # state as of the warehouse's build date, which lies after as_of
        "update marts.dim_contract set status = 'expired', is_in_term = false, current_mrr = -1",
        "update marts.dim_customer set customer_status = 'churned', current_mrr = -1, churn_count = 99",
    ]
    with duckdb.connect(str(path)) as con:
        for sql in statements:
            con.execute(sql, {"d": as_of} if "$d" in sql else None)


def _features_as_of(warehouse: Path, as_of: date, copy: Path) -> pd.DataFrame:
    """The feature model built as of ``as_of`` on a copy of the warehouse."""
    shutil.copyfile(warehouse, copy)
    build_ml_models(copy, as_of)
    with duckdb.connect(str(copy), read_only=True) as con:
        return renewal_features(con, as_of)


# What each date puts in the future of the as-of date, so that the erasure has something to hide:
# a go-live that happened later (an in-flight project) and a price-book increase that came later.
FUTURE_FACTS = {
    "go_live": ("select count(*) from marts.fct_milestones as m join marts.dim_contract as c using (tenant_id, contract_id)"
                " where m.milestone_name = 'Go-live' and m.completed_date >= $d and c.end_date > $d"
                " and c.end_date <= $d + 180 and c.signed_date < $d"),
    "price_increase": "select count(*) from raw.price_book_entries where valid_from >= $d",
}


@pytest.mark.parametrize(("as_of", "future"), [
    (AS_OF, ()),
    (date(2026, 6, 17), ("go_live",)),
    (date(2025, 2, 17), ("price_increase",)),
])
def test_features_do_not_change_when_everything_from_the_as_of_date_on_is_erased(
    warehouse: Path, features: pd.DataFrame, tmp_path: Path, as_of: date, future: tuple[str, ...],
) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for fact in future:
            assert con.execute(FUTURE_FACTS[fact], {"d": as_of}).fetchall()[0][0] > 0, fact
    complete = features if as_of == AS_OF else _features_as_of(warehouse, as_of, tmp_path / "then.duckdb")
    past = tmp_path / "past.duckdb"
    shutil.copyfile(warehouse, past)
    _erase_the_future(past, as_of)
    build_ml_models(past, as_of)
    with duckdb.connect(str(past), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_mrr where month_start >= ?", [as_of]).fetchall() == [(0,)]
        truncated = renewal_features(con, as_of)

    assert len(complete) > 0
    pd.testing.assert_frame_equal(truncated, complete)


def _log_ratio(later: float, earlier: float) -> float:
    return float(np.log((later + 1) / (earlier + 1)))


def test_usage_trends_recomputed_by_hand(warehouse: Path, features: pd.DataFrame) -> None:
    # the contract whose API usage moved most, so a wrong window shows
    row = features.loc[features["api_usage_trend"].abs().idxmax()]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        usage = _rows(con, "select metric, usage_month, sum(quantity)::double as quantity from marts.fct_usage_daily"
                           " where tenant_id = ? and customer_id = ? group by all",
                      row["tenant_id"], row["customer_id"])
        start = _rows(con, "select start_date from marts.dim_contract where tenant_id = ? and contract_id = ?",
                      row["tenant_id"], row["contract_id"])[0]["start_date"]
    # as of 17 May 2026 the last complete months are Feb-Apr 2026, the three before Nov 2025-Jan 2026
    last = [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    prior = [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
    monthly: dict[str, dict[date, float]] = {}
    for u in usage:
        monthly.setdefault(u["metric"], {})[u["usage_month"]] = u["quantity"]
    ratios = {metric: _log_ratio(sum(m.get(d, 0) for d in last), sum(m.get(d, 0) for d in prior))
              for metric, m in monthly.items() if sum(m.get(d, 0) for d in prior) > 0}

    assert abs(row["api_usage_trend"]) > 0.01
    assert row["api_usage_trend"] == pytest.approx(ratios["api_calls"], abs=1e-9)
    assert row["usage_trend_all"] == pytest.approx(np.mean(list(ratios.values())), abs=1e-9)
    # the term's growth: least-squares slope of log monthly API calls, per 3 months
    months = sorted(d for d, q in monthly["api_calls"].items() if start <= d <= date(2026, 4, 1) and q > 0)
    if len(months) >= 4:
        x = [d.year * 12 + d.month for d in months]
        slope = np.polyfit(x, np.log([monthly["api_calls"][d] for d in months]), 1)[0]
        assert row["api_usage_slope"] == pytest.approx(3 * slope, abs=1e-9)
    else:
        assert row["api_usage_slope"] == row["api_usage_trend"]


def test_onboarding_and_price_features_recomputed_by_hand(warehouse: Path, features: pd.DataFrame) -> None:
    slipped = features.loc[features["go_live_slip_days"].idxmax()]
    first_terms = features[features["contract_type"] == "new"]
    slow = first_terms.loc[first_terms["activation_lag_days"].fillna(1e9).idxmax()]
    repriced = features.loc[features["price_change_pct"].idxmax()]
    listed = features.loc[features["list_price_increase_pct"].idxmax()]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        go_live = _rows(con, "select planned_date, completed_date from marts.fct_milestones"
                             " where tenant_id = ? and contract_id = ? and milestone_name = 'Go-live'",
                        slipped["tenant_id"], slipped["contract_id"])
        onboarding = _rows(con, "select contract_type, signed_date, service_activated_date from marts.dim_contract"
                                " where tenant_id = ? and contract_id = ?", slow["tenant_id"], slow["contract_id"])[0]
        amendments = _rows(con, "select amendment_type, mrr_delta::double as mrr_delta, signed_date, effective_date"
                                " from staging.stg_crm__contract_amendments where tenant_id = ? and contract_id = ?",
                           repriced["tenant_id"], repriced["contract_id"])
        line_months = _rows(con, "select month_start, sum(monthly_amount)::double as mrr"
                                 " from marts.fct_subscription_line_months where tenant_id = ? and contract_id = ?"
                                 " group by all", repriced["tenant_id"], repriced["contract_id"])
        signed = _rows(con, "select signed_date from marts.dim_contract where tenant_id = ? and contract_id = ?",
                       listed["tenant_id"], listed["contract_id"])[0]["signed_date"]
        lines = _rows(con, "select product_id, currency, billing_period, quantity::double as quantity, start_date"
                           " from staging.stg_billing__subscription_line_items"
                           " where tenant_id = ? and contract_id = ? and billing_model = 'recurring'",
                      listed["tenant_id"], listed["contract_id"])
        prices = _rows(con, "select product_id, currency, billing_period, unit_price::double as unit_price, valid_from"
                            " from staging.stg_billing__price_book_entries where tenant_id = ?", listed["tenant_id"])

    # go-live: actual minus planned once live before as_of, else overdue so far
    (milestone,) = go_live
    if milestone["completed_date"] is not None and milestone["completed_date"] < AS_OF:
        expected_slip = max(0, (milestone["completed_date"] - milestone["planned_date"]).days)
    else:
        expected_slip = max(0, (AS_OF - milestone["planned_date"]).days)
    assert slipped["go_live_slip_days"] == expected_slip > 0

    assert onboarding["contract_type"] == "new"
    activated = onboarding["service_activated_date"]
    lag = (activated - onboarding["signed_date"]).days if activated and activated < AS_OF \
        else (AS_OF - onboarding["signed_date"]).days
    assert slow["first_term_lag_over_30"] == max(0, lag - 30)
    assert (features.loc[features["contract_type"] != "new", "first_term_lag_over_30"] == 0).all()

    mrr = {m["month_start"]: m["mrr"] for m in line_months}
    expected_pct = sum(100 * a["mrr_delta"] / mrr[(a["effective_date"].replace(day=1) - timedelta(days=1)).replace(day=1)]
                       for a in amendments if a["amendment_type"] == "price_change"
                       and a["signed_date"] < AS_OF and a["effective_date"] <= AS_OF)
    assert repriced["price_change_pct"] == pytest.approx(expected_pct, abs=1e-6) and expected_pct > 0

    def list_price(line: dict, on: date) -> float | None:
        known = [p for p in prices if (p["product_id"], p["currency"], p["billing_period"])
                 == (line["product_id"], line["currency"], line["billing_period"]) and p["valid_from"] <= on
                 and p["valid_from"] < AS_OF]
        return max(known, key=lambda p: p["valid_from"])["unit_price"] if known else None

    priced = [(ln, list_price(ln, signed), list_price(ln, AS_OF - timedelta(days=1)))
              for ln in lines if ln["start_date"] < AS_OF]
    priced = [(ln, then, now) for ln, then, now in priced if then is not None]
    then_total = sum(ln["quantity"] * then for ln, then, _ in priced)
    now_total = sum(ln["quantity"] * now for ln, _, now in priced)
    assert listed["list_price_increase_pct"] == pytest.approx(100 * (now_total / then_total - 1), abs=1e-6)
    assert listed["list_price_increase_pct"] > 0


def test_features_built_for_another_day_are_refused_in_one_line(warehouse: Path) -> None:
    with (duckdb.connect(str(warehouse), read_only=True) as con,
          pytest.raises(FeatureModelError) as refused):
        renewal_features(con, AS_OF + timedelta(days=1))
    assert str(refused.value) == (
        "intermediate.int_renewal_features was built as of 2026-05-17, not 2026-05-18: set "
        "$OPSINTEL_AS_OF_DATE to the day wanted and build the dbt models (`opsintel dbt build`)")
