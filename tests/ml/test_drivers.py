"""Drivers: a tiny hand-made model whose answer is known, the wording, and the real model's contributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.drivers import DRIVER_GROUPS, driver_contributions, explain, groups_for
from ml.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from ml.renewal import FEATURE_SETS

FEATURES = ("escalations_365d", "escalations_renewal_year", "api_usage_trend", "api_usage_slope",
            "late_payments_180d", "activation_lag_days", "segment")
REFERENCE = {"escalations_365d": 0.0, "escalations_renewal_year": 1.0, "api_usage_trend": 0.0,
             "api_usage_slope": 0.05, "late_payments_180d": 0.0, "activation_lag_days": 20.0, "segment": "mid_market"}


def additive_model(frame: pd.DataFrame) -> np.ndarray:
    """p = 0.10 + 0.05 per escalation in 12 months + 0.20 if API usage fell over 30 % + 0.02 per
    late payment - 0.03 for enterprise: additive, so each contribution is its own term exactly."""
    return (0.10 + 0.05 * frame["escalations_365d"] + 0.20 * (frame["api_usage_trend"] < np.log(0.7))
            + 0.02 * frame["late_payments_180d"] - 0.03 * (frame["segment"] == "enterprise")).to_numpy(float)


CONTRACTS = pd.DataFrame({
    "escalations_365d": [3.0, 0.0], "escalations_renewal_year": [4.0, 0.0], "api_usage_trend": [np.log(0.58), 0.10],
    "api_usage_slope": [-0.2, 0.1], "late_payments_180d": [2.0, 0.0], "activation_lag_days": [75.0, 10.0],
    "segment": ["mid_market", "enterprise"],
}, index=[10, 11])


def test_contributions_of_a_hand_made_model() -> None:
    contributions = driver_contributions(additive_model, CONTRACTS, REFERENCE, FEATURES)
    assert list(contributions.columns) == ["support", "usage", "activation", "late_payments", "profile"]
    assert list(contributions.index) == [10, 11]
    assert contributions.loc[10].to_dict() == pytest.approx(
        {"support": 0.15, "usage": 0.20, "activation": 0.0, "late_payments": 0.04, "profile": 0.0})
    # the enterprise contract is *less* at risk than a mid-market one: a negative contribution
    assert contributions.loc[11].to_dict() == pytest.approx(
        {"support": 0.0, "usage": 0.0, "activation": 0.0, "late_payments": 0.0, "profile": -0.03})


def test_top_three_drivers_in_words() -> None:
    texts = explain(additive_model, CONTRACTS, REFERENCE, FEATURES)
    assert texts.loc[10] == ("API usage down 42% over 3 months; 3 escalated tickets in the last 12 months; "
                             "2 late payments in 180 days")
    assert texts.loc[11] == ""  # nothing raises its risk
    assert explain(additive_model, CONTRACTS, REFERENCE, FEATURES, limit=1).loc[10] == "API usage down 42% over 3 months"


@pytest.mark.parametrize(
    ("group", "values", "words"),
    [
        ("support", {"escalations_365d": 4, "escalations_renewal_year": 3, "tickets_180d": 9},
         "4 escalated tickets in the last 12 months"),
        ("support", {"escalations_365d": 0, "escalations_renewal_year": 1, "tickets_180d": 9},
         "1 escalated ticket in the year before the renewal"),
        ("support", {"escalations_365d": 0, "escalations_renewal_year": 0, "tickets_180d": 2},
         "no escalated tickets in 12 months, 2 support tickets in 180 days"),
        # exp(-0.478) = 0.62: down 38 %
        ("usage", {"api_usage_trend": -0.478, "api_usage_slope": -0.1, "usage_trend_all": -0.2},
         "API usage down 38% over 3 months"),
        ("usage", {"api_usage_trend": 0.0, "api_usage_slope": 0.0, "usage_trend_all": 0.0953},
         "usage up 10% over 3 months"),
        ("usage", {"api_usage_trend": 0.0, "api_usage_slope": 0.0, "usage_trend_all": 0.0},
         "no usage trend (no usage 4 to 6 months ago)"),
        ("go_live", {"go_live_slip_days": 45.0}, "go-live slipped 45 days"),
        ("go_live", {"go_live_slip_days": 0.0}, "go-live on time or no project"),
        ("prices", {"price_change_pct": 8.0, "list_price_increase_pct": 5.2},
         "price raised 8% this term, list prices up 5% since signing"),
        ("prices", {"price_change_pct": 0.0, "list_price_increase_pct": 0.0}, "no price change this term"),
        ("timing", {"days_to_renewal": 45.0}, "renews in 45 days"),
        ("mrr_trend", {"mrr_now": 820.0, "mrr_change_3m": 0.0, "mrr_change_6m": -180.0}, "MRR down 18% in 6 months"),
        ("mrr_trend", {"mrr_now": 1200.0, "mrr_change_3m": 0.0, "mrr_change_6m": 200.0}, "MRR up 20% in 6 months"),
        ("activation", {"activation_lag_days": 75.0}, "activation took 75 days"),
        ("activation", {"activation_lag_days": float("nan")}, "service not live yet"),
        ("late_payments", {"late_payments_180d": 2.0}, "2 late payments in 180 days"),
        ("billing_exceptions", {"billing_exceptions_180d": 1.0}, "1 billing exception in 180 days"),
        ("amendment", {"last_amendment_type": "downgrade", "last_amendment_change_pct": -12.4}, "last amendment: downgrade (-12% MRR)"),
        ("amendment", {"last_amendment_type": "none", "last_amendment_change_pct": float("nan")}, "no amendment this term"),
        ("tenure", {"tenure_months": 14.0}, "customer for 14 months"),
        ("terms", {"term_months": 12.0, "contract_type": "new", "billing_frequency": "annual", "auto_renew": 0.0},
         "12-month term, first renewal, annual billing, no auto-renewal"),
        ("profile", {"segment": "smb", "region": "emea", "is_partner_sourced": 1.0}, "smb segment, EMEA, partner-sourced"),
    ],
)
def test_words_come_from_the_contracts_values(group: str, values: dict, words: str) -> None:
    describe = {g.name: g.describe for g in DRIVER_GROUPS}[group]
    assert describe(values) == words


def test_every_feature_is_in_exactly_one_group(renewal_model) -> None:
    grouped = [name for group in DRIVER_GROUPS for name in group.features]
    assert len(grouped) == len(set(grouped))
    assert set(NUMERIC_FEATURES) | set(CATEGORICAL_FEATURES) == set(grouped)
    for numeric, categorical in FEATURE_SETS.values():
        assert set(numeric) | set(categorical) <= set(grouped)
    assert set(renewal_model.features) <= set(grouped)
    with pytest.raises(ValueError, match="no_such_feature belong"):
        groups_for([*renewal_model.features, "no_such_feature"])


def test_real_model_contribution_recomputed_by_hand(renewal_model) -> None:
    reference = renewal_model.reference
    assert {"escalations_365d", "api_usage_trend"} <= set(renewal_model.features)
    # a typical contract but for its support history and its usage trend
    support = {"escalations_365d": 4.0, "escalations_renewal_year": 3.0}
    usage = {"api_usage_trend": -0.5, "api_usage_slope": -0.4}
    contract = pd.DataFrame([{**reference, **support, **usage}])
    contributions = driver_contributions(renewal_model.predict_proba, contract, reference, renewal_model.features)
    probability = renewal_model.predict_proba(contract)[0]
    support_typical = pd.DataFrame([{**reference, **usage}])
    usage_typical = pd.DataFrame([{**reference, **support}])
    assert contributions.loc[0, "support"] == pytest.approx(
        probability - renewal_model.predict_proba(support_typical)[0], abs=1e-12)
    assert contributions.loc[0, "usage"] == pytest.approx(
        probability - renewal_model.predict_proba(usage_typical)[0], abs=1e-12)
    # groups already at their reference value contribute nothing
    assert (contributions.drop(columns=["support", "usage"]).loc[0].abs() < 1e-12).all()
