"""Score the contracts up for renewal and write ``marts.renewal_risk_scores`` for the dashboards.

Risk bands cut the calibrated probability of churning or contracting at renewal:

* **high**: at least ``HIGH_RISK_MIN_PROBABILITY`` (0.50), more likely than not to be lost or cut;
* **medium**: at least ``MEDIUM_RISK_MIN_PROBABILITY`` (0.30), about the share of renewals
  lost or cut in the sample company (29 % at SF=1), so above an average renewal;
* **low**: below that.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd

from ingestion.warehouse import Warehouse, registered
from ml.drivers import explain
from ml.features import renewal_features
from ml.registry import LoadedModel

HIGH_RISK_MIN_PROBABILITY = 0.50
MEDIUM_RISK_MIN_PROBABILITY = 0.30
SCORES_TABLE = "marts.renewal_risk_scores"
SCORE_COLUMNS = (
    "tenant_id", "contract_id", "customer_id", "renewal_date", "days_to_renewal", "within_90_days",
    "within_180_days", "contract_mrr", "probability", "risk_band", "drivers", "model_version", "scored_at",
)


def scoring_time() -> datetime:
    """Now, in UTC without a zone and to the second: the ``scored_at`` of a scoring run."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def risk_band(probability: np.ndarray) -> np.ndarray:
    return np.select(
        [probability >= HIGH_RISK_MIN_PROBABILITY, probability >= MEDIUM_RISK_MIN_PROBABILITY],
        ["high", "medium"], default="low",
    )


def score_renewals(con: duckdb.DuckDBPyConnection, model: LoadedModel, as_of: date, scored_at: datetime) -> pd.DataFrame:
    """One row per contract renewing within 180 days of ``as_of``: probability, band and drivers."""
    return score_features(renewal_features(con, as_of), model, scored_at)


def score_features(features: pd.DataFrame, model: LoadedModel, scored_at: datetime) -> pd.DataFrame:
    """Score a ``renewal_features`` frame (read from the warehouse or computed just now)."""
    renewal_model = model.model
    frame = features[["tenant_id", "contract_id", "customer_id", "renewal_date", "days_to_renewal",
                      "within_90_days", "within_180_days", "contract_mrr"]].copy()
    frame["renewal_date"] = pd.to_datetime(frame["renewal_date"]).dt.date
    probability = renewal_model.predict_proba(features) if len(features) else np.empty(0)
    frame["probability"] = probability
    frame["risk_band"] = risk_band(probability)
    frame["drivers"] = (explain(renewal_model.predict_proba, features, renewal_model.reference,
                                renewal_model.features) if len(features) else pd.Series(dtype="str"))
    frame["model_version"] = model.version
    frame["scored_at"] = pd.Timestamp(scored_at)
    return frame[list(SCORE_COLUMNS)].astype({
        "days_to_renewal": "int64", "within_90_days": "bool", "within_180_days": "bool",
        "contract_mrr": "float64", "probability": "float64", "model_version": "int64",
    })


def write_renewal_scores(warehouse: Warehouse, frame: pd.DataFrame) -> int:
    """Replace ``marts.renewal_risk_scores`` with ``frame`` in one atomic write; returns its rows.

    The table is fully replaced, never appended to, so writing the same frame twice leaves the
    same table.
    """
    missing = [column for column in SCORE_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"renewal scores have no column(s) {', '.join(missing)}")
    ordered = frame[list(SCORE_COLUMNS)].sort_values(["tenant_id", "contract_id"], ignore_index=True)
    with warehouse.writer() as con:
        con.execute("create schema if not exists marts")
        with registered(con, "renewal_scores", ordered):
            con.execute(f"create or replace table {SCORES_TABLE} as select * from renewal_scores"
                        " order by tenant_id, contract_id")
    return len(ordered)
