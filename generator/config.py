"""Rates and parameters of the simulated world, in one place.

Billing-error rates are probabilities per invoice (duplicate, late) or per expected charge
(missed, wrong price, under/over-billing); billed-before-activation is per eligible line
(a recurring line of a contract whose activation slipped past its planned start). The two
errors the rules cannot see (simulate/silent_errors.py) are per recurring line item (price
drift) and per billed month of a storage, messages or device-hours usage line (usage spike).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD")
# USD value of one unit at the start of 2023; months random-walk from here.
USD_PER_UNIT = {"USD": 1.0, "EUR": 1.07, "GBP": 1.21, "CAD": 0.74, "AUD": 0.68}
FX_MONTHLY_VOLATILITY = {"USD": 0.0, "EUR": 0.018, "GBP": 0.02, "CAD": 0.015, "AUD": 0.024}
# Local list prices are USD prices times this (rounded), as price books usually are.
PRICE_FACTOR = {"USD": 1.0, "EUR": 0.95, "GBP": 0.82, "CAD": 1.35, "AUD": 1.5}

# currency -> (countries with weights); region follows the country.
COUNTRIES = {
    "USD": {"US": 0.82, "MX": 0.05, "BR": 0.04, "SG": 0.05, "JP": 0.04},
    "EUR": {"DE": 0.35, "FR": 0.25, "NL": 0.15, "ES": 0.12, "IE": 0.13},
    "GBP": {"GB": 1.0},
    "CAD": {"CA": 1.0},
    "AUD": {"AU": 0.85, "NZ": 0.15},
}
REGION = {"US": "na", "CA": "na", "MX": "latam", "BR": "latam", "SG": "apac", "JP": "apac",
          "AU": "apac", "NZ": "apac", "DE": "emea", "FR": "emea", "NL": "emea", "ES": "emea",
          "IE": "emea", "GB": "emea"}
TAX_RATE = {"US": 0.0, "CA": 0.13, "GB": 0.20, "DE": 0.19, "FR": 0.20, "NL": 0.21, "ES": 0.21,
            "IE": 0.23, "AU": 0.10, "NZ": 0.15}

INDUSTRIES = ("logistics", "manufacturing", "retail", "healthcare", "financial_services",
              "energy", "software", "education", "public_sector", "hospitality")
DEVICE_INDUSTRIES = {"logistics": 0.45, "manufacturing": 0.45, "energy": 0.4, "retail": 0.3,
                     "hospitality": 0.25, "healthcare": 0.15}


@dataclass(frozen=True)
class Segment:
    share: float
    seats: tuple[int, int]
    tiers: dict[str, float]
    terms: dict[str, float]  # term months (as text keys for weighted draws) -> weight
    frequency: dict[str, float]
    discount_max: float
    tickets_per_month: float
    sales_cycle_days: tuple[int, int]
    churn_offset: float  # added to the churn logit


SEGMENTS: dict[str, Segment] = {
    "smb": Segment(0.55, (3, 40), {"starter": 0.6, "professional": 0.35, "enterprise": 0.05},
                   {"12": 0.85, "24": 0.15}, {"monthly": 0.7, "quarterly": 0.15, "annual": 0.15},
                   10, 0.22, (14, 60), 0.55),
    "mid_market": Segment(0.30, (25, 200), {"starter": 0.15, "professional": 0.6,
                                             "enterprise": 0.25},
                          {"12": 0.6, "24": 0.3, "36": 0.1},
                          {"monthly": 0.3, "quarterly": 0.35, "annual": 0.35},
                          20, 0.45, (30, 120), -0.2),
    "enterprise": Segment(0.15, (150, 1500), {"professional": 0.35, "enterprise": 0.65},
                          {"12": 0.3, "24": 0.35, "36": 0.35},
                          {"monthly": 0.1, "quarterly": 0.3, "annual": 0.6},
                          30, 0.8, (60, 200), -1.0),
}


@dataclass(frozen=True)
class ChurnModel:
    """P(churn) = sigmoid(intercept + segment offset + sum of coefficient x driver)."""

    intercept: float = -2.45
    per_escalation: float = 0.45
    per_usage_trend: float = -2.2  # usage_trend is log(last 3 months / previous 3 months)
    per_lag_day_over_30: float = 0.012  # activation lag beyond 30 days, first renewal only
    per_slip_day: float = 0.004  # go-live slip, first renewal only
    per_price_pct: float = 0.07  # mid-term price changes + proposed renewal uplift, percent
    contraction_intercept: float = -1.9
    contraction_per_usage_trend: float = -2.5
    contraction_per_escalation: float = 0.3
    reactivation: float = 0.12  # churned customers who sign again later


@dataclass(frozen=True)
class BillingErrorRates:
    missed_invoice: float = 0.015
    duplicate_invoice: float = 0.01
    wrong_price: float = 0.015
    under_billing: float = 0.015
    over_billing: float = 0.01
    late_invoice: float = 0.02
    billed_before_activation: float = 0.3
    credit_note_for_error: float = 0.35
    # Invisible to the rules, which take the line item and the metering as the reference.
    price_drift: float = 0.01
    price_drift_range: tuple[float, float] = (0.10, 0.40)  # relative, up or down
    usage_spike: float = 0.004
    usage_spike_factor: tuple[float, float] = (3.0, 8.0)


@dataclass(frozen=True)
class PaymentBehaviour:
    on_time: float = 0.78
    late: float = 0.13
    partial: float = 0.04
    failed: float = 0.03
    never: float = 0.02


@dataclass(frozen=True)
class GeneratorConfig:
    customers_per_scale: int = 1000
    prospect_share: float = 0.12
    partner_sourced_share: float = 0.22
    long_activation_share: float = 0.09
    usage_events_per_line_month: float = 3.6
    churn: ChurnModel = field(default_factory=ChurnModel)
    errors: BillingErrorRates = field(default_factory=BillingErrorRates)
    payments: PaymentBehaviour = field(default_factory=PaymentBehaviour)
    settlement_error_rate: float = 0.04
    # Rows buffered per writer: text files flush often (memory), Parquet in row groups.
    text_batch_rows: int = 1_000
    parquet_batch_rows: int = 20_000
    usage_batch_rows: int = 250_000


DEFAULT_CONFIG = GeneratorConfig()
