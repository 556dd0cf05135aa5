"""Score the contracts up for renewal and write ``ml.renewal_risk_scores`` for the dashboards.

Risk bands cut the calibrated probability of churning or contracting at renewal:

* **high**: at least ``HIGH_RISK_MIN_PROBABILITY`` (0.50), more likely than not to be lost or cut;
* **medium**: at least ``MEDIUM_RISK_MIN_PROBABILITY`` (0.30), about the share of renewals
  lost or cut in the sample company (29 % at SF=1), so above an average renewal;
* **low**: below that.

Every scoring run also replaces ``ml.renewal_model_status``: one row per tenant saying which
model version scored (with its registry status and reason), or that none could, and why. With
no published version the scores table is written empty (same columns), so the Renewals page
can say why instead of showing stale or missing scores.

Both tables are written after the dbt build, by the scoring step, so they live in the ML steps'
own schema ``ml`` and are declared to dbt as the source ``ml``
(``dbt_project/models/marts/ml/_ml__sources.yml``); the dashboards read them there, so each
scoring run shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd

from foundation.warehouse import Warehouse, registered, table_exists
from ml.drivers import explain
from ml.features import renewal_features
from ml.registry import LoadedModel

HIGH_RISK_MIN_PROBABILITY = 0.50
MEDIUM_RISK_MIN_PROBABILITY = 0.30
SCORES_SCHEMA = "ml"
SCORES_TABLE = f"{SCORES_SCHEMA}.renewal_risk_scores"
# Column -> warehouse type: the table has them whether it holds rows or none.
SCORE_TYPES = {
    "tenant_id": "varchar", "contract_id": "varchar", "customer_id": "varchar", "renewal_date": "date",
    "days_to_renewal": "bigint", "within_90_days": "boolean", "within_180_days": "boolean",
    "contract_mrr": "double", "probability": "double", "risk_band": "varchar", "drivers": "varchar",
    "model_version": "bigint", "scored_at": "timestamp",
}
SCORE_COLUMNS = tuple(SCORE_TYPES)

STATUS_TABLE = f"{SCORES_SCHEMA}.renewal_model_status"
TENANTS_TABLE = "marts.dim_tenant"
NO_MODEL = "none"  # model_status when no version could score
# One status row per tenant of the warehouse (and of the scores, should a tenant be missing there).
MODEL_STATUS_SQL = f"""
    create or replace table {STATUS_TABLE} as
    select cast(tenant_id as varchar) as tenant_id,
           cast($model_name as varchar) as model_name,
           cast($model_version as integer) as model_version,
           cast($model_status as varchar) as model_status,
           cast($reason as varchar) as reason,
           cast($scored_at as timestamp) as scored_at
    from (select tenant_id from {{tenants}} union select tenant_id from renewal_scores)
    order by tenant_id
"""


def scoring_time() -> datetime:
    """Now, in UTC without a zone and to the second: the ``scored_at`` of a scoring run."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class ModelStatus:
    """What scored a run: a version with its registry status and reason, or none (``NO_MODEL``) and why."""

    model_name: str
    version: int | None
    status: str
    reason: str
    scored_at: datetime

    @classmethod
    def of(cls, model: LoadedModel, scored_at: datetime) -> ModelStatus:
        return cls(model.name, model.version, str(model.metadata.get("status", "")),
                   str(model.metadata.get("reason", "")), scored_at)


def empty_scores() -> pd.DataFrame:
    """A scores frame with every column and no row (what a run without a model writes)."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in SCORE_COLUMNS})


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


def write_renewal_scores(warehouse: Warehouse, frame: pd.DataFrame, status: ModelStatus) -> int:
    """Replace ``ml.renewal_risk_scores`` with ``frame`` and ``ml.renewal_model_status`` with
    ``status`` in one atomic write; returns the rows scored.

    The tables are fully replaced, never appended to, so writing the same frame twice leaves the
    same tables.
    """
    missing = [column for column in SCORE_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"renewal scores have no column(s) {', '.join(missing)}")
    ordered = frame[list(SCORE_COLUMNS)].sort_values(["tenant_id", "contract_id"], ignore_index=True)
    columns = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in SCORE_TYPES.items())
    with warehouse.writer() as con:
        con.execute(f"create schema if not exists {SCORES_SCHEMA}")
        with registered(con, "renewal_scores", ordered):
            con.execute(f"create or replace table {SCORES_TABLE} as select {columns} from renewal_scores"
                        " order by tenant_id, contract_id")
            # A warehouse without the tenant dimension (a bare test file) still gets the scores' tenants.
            tenants = TENANTS_TABLE if table_exists(con, *TENANTS_TABLE.split(".")) else "renewal_scores"
            con.execute(MODEL_STATUS_SQL.format(tenants=tenants), {
                "model_name": status.model_name, "model_version": status.version,
                "model_status": status.status, "reason": status.reason, "scored_at": status.scored_at})
    return len(ordered)
