"""Renewal-risk features: one row per contract up for renewal within 180 days of the as-of date.

The features are the dbt model ``intermediate.int_renewal_features`` (the same computation at
each training scoring date is ``int_renewal_training_examples``, see ``ml.renewal``; both rest on
``int_renewal_snapshot_features``, where each feature's column is documented). This module names
the features the models use and reads the scoring rows.

Every feature is built only from rows dated strictly before the scoring date (events by their
date, monthly figures from the last complete month before it), so a model trained on past dates
sees what it would have seen then; mart columns that describe the state at the warehouse's own
as-of date are never read. Each feature is described in
``dbt_project/models/marts/ml/_renewal_features__docs.md``.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ml.feature_models import read_feature_model

RENEWAL_WINDOW_DAYS = 180
NEAR_WINDOW_DAYS = 90

KEY_COLUMNS = ("tenant_id", "contract_id", "customer_id", "renewal_date", "days_to_renewal",
               "within_90_days", "within_180_days")
NUMERIC_FEATURES = (
    "tenure_months", "term_months", "auto_renew", "is_partner_sourced",
    "contract_mrr", "mrr_now", "mrr_change_3m", "mrr_change_6m",
    "escalations_60d", "escalations_180d", "tickets_180d",
    "activation_lag_days", "billing_exceptions_180d", "late_payments_180d",
    "last_amendment_change_pct",
    "days_to_renewal", "escalations_365d", "escalations_renewal_year",
    "api_usage_trend", "api_usage_slope", "usage_trend_all",
    "go_live_slip_days", "first_term_lag_over_30", "price_change_pct", "list_price_increase_pct",
)
CATEGORICAL_FEATURES = ("segment", "region", "contract_type", "billing_frequency", "last_amendment_type")
# days_to_renewal is both a key and a feature: once in the frame
FEATURE_FRAME_COLUMNS = tuple(dict.fromkeys((*KEY_COLUMNS, *NUMERIC_FEATURES, *CATEGORICAL_FEATURES)))

FEATURES_MODEL = "int_renewal_features"


def as_feature_frame(frame: pd.DataFrame, columns: tuple[str, ...] = FEATURE_FRAME_COLUMNS) -> pd.DataFrame:
    """``columns`` of a feature model's rows, numeric features as floats (NaN where unknown)."""
    numeric = list(NUMERIC_FEATURES)
    # DECIMAL sums arrive as objects; the models want floats
    frame[numeric] = frame[numeric].astype("float64")
    return frame[list(columns)]


def renewal_features(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """One row per contract whose end date falls in (as_of, as_of + 180 days], keys then features,
    ordered by tenant and contract; the dbt model must have been built as of ``as_of``."""
    frame = read_feature_model(con, FEATURES_MODEL, as_of, order_by=("tenant_id", "contract_id"))
    return as_feature_frame(frame)
