"""The model steps as the pipeline runs them: read the published warehouse, compute, write back.

Each step reads the latest published snapshot (never the file a writer is changing) and writes
through ``Warehouse.writer()``, so a step that fails leaves the warehouse as it was. The Dagster
assets in ``orchestration/defs/ml.py`` and the ``opsintel ml`` commands both call these.

Tables written:

* ``ml.renewal_features``: features of every contract renewing within 180 days of the as-of
  date (what the scores are computed from);
* ``ml.renewal_training_examples``: every decided renewal with its features at its scoring
  dates and its label (what a model version is trained on);
* ``ml.renewal_risk_scores`` and ``ml.renewal_model_status`` (``ml.scoring``) and
  ``ml.billing_review_queue`` (``ml.review_queue``), the tables the dashboards read.

The features, labels and training examples themselves are dbt models
(``dbt_project/models/marts/ml/``); the steps read them as built by the last dbt build.

Too few decided renewals to train, or no published version to score with, are states of the
data, not faults: training records why it made no version, scoring writes no scores and says
why (read from the registry), and neither raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from foundation.warehouse import Warehouse, registered, table_exists
from ml.drift import feature_psi
from ml.features import renewal_features
from ml.registry import (
    LoadedModel,
    NoPublishedVersion,
    RegisteredVersion,
    load_model,
    record_skipped_training,
    register_model,
    unpublished_reason,
)
from ml.renewal import (
    MODEL_NAME,
    TARGET,
    RenewalDataError,
    RenewalModel,
    TooFewRenewals,
    fit_renewal_model,
    training_examples,
)
from ml.review_queue import build_review_queue, write_review_queue
from ml.scoring import NO_MODEL, ModelStatus, empty_scores, score_features, write_renewal_scores

FEATURES_TABLE = ("ml", "renewal_features")
EXAMPLES_TABLE = ("ml", "renewal_training_examples")


@contextmanager
def _snapshot(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    con = warehouse.reader()
    try:
        yield con
    finally:
        con.close()


def _read(con: duckdb.DuckDBPyConnection, table: tuple[str, str], step: str) -> pd.DataFrame:
    if not table_exists(con, *table):
        raise RenewalDataError(f"no table {'.'.join(table)} in the warehouse: run {step} first")
    return con.execute(f"select * from {table[0]}.{table[1]}").df()


def _replace_table(con: duckdb.DuckDBPyConnection, table: tuple[str, str], frame: pd.DataFrame) -> None:
    con.execute(f"create schema if not exists {table[0]}")
    with registered(con, "pipeline_rows", frame):
        con.execute(f"create or replace table {table[0]}.{table[1]} as select * from pipeline_rows")


@dataclass(frozen=True)
class FeatureRefresh:
    scoring_rows: int
    within_90_days: int
    examples: int
    positives: int


def refresh_renewal_features(warehouse: Warehouse, as_of: date) -> FeatureRefresh:
    """Write the scoring features as of ``as_of`` and the training examples decided by then."""
    with _snapshot(warehouse) as con:
        scoring = renewal_features(con, as_of)
        examples = training_examples(con, as_of)
    with warehouse.writer() as con:
        _replace_table(con, FEATURES_TABLE, scoring)
        _replace_table(con, EXAMPLES_TABLE, examples)
    return FeatureRefresh(
        scoring_rows=len(scoring),
        within_90_days=int(scoring["within_90_days"].sum()),
        examples=len(examples),
        positives=int(examples[TARGET].sum()),
    )


@dataclass(frozen=True)
class TrainingRun:
    """A registered candidate (published or rejected), or no candidate and why."""

    model: RenewalModel | None
    version: RegisteredVersion | None
    skipped_because: str = ""


def train_and_register(warehouse: Warehouse, as_of: date, seed: int,
                       floor: float | None = None) -> TrainingRun:
    """Fit a candidate on the stored training examples and register it (published or rejected);
    with too few decided renewals to fit, record that no version was made and why."""
    with _snapshot(warehouse) as con:
        examples = _read(con, EXAMPLES_TABLE, "the renewal features step")
    try:
        model = fit_renewal_model(examples, as_of, seed)
    except TooFewRenewals as too_few:
        record_skipped_training(warehouse, MODEL_NAME, as_of, seed, str(too_few))
        return TrainingRun(None, None, str(too_few))
    options = {} if floor is None else {"floor": floor}
    return TrainingRun(model, register_model(warehouse, MODEL_NAME, model, **options))


EMPTY_DRIFT = pd.DataFrame(columns=["feature", "kind", "psi", "verdict"])


@dataclass(frozen=True)
class ScoreRun:
    scores: pd.DataFrame
    model: LoadedModel | None  # None: no published version, ``status.reason`` says why
    drift: pd.DataFrame  # feature, kind, psi, verdict: training rows vs the rows scored
    status: ModelStatus


def training_reference(examples: pd.DataFrame, model: RenewalModel) -> pd.DataFrame:
    """The examples a version was fitted on: those renewing before its cutoff."""
    renewal = pd.to_datetime(examples["renewal_date"]).dt.date
    return examples[renewal < model.cutoff]


def score_and_write(warehouse: Warehouse, scored_at: datetime, version: int | None = None) -> ScoreRun:
    """Score the stored features with a version (default: the latest published) and replace the
    scores; with no published version, write no scores and the registry's reason why."""
    try:
        model = load_model(MODEL_NAME, version)
    except NoPublishedVersion:
        return _write_without_model(warehouse, scored_at)
    with _snapshot(warehouse) as con:
        features = _read(con, FEATURES_TABLE, "the renewal features step")
        examples = _read(con, EXAMPLES_TABLE, "the renewal features step")
    scores = score_features(features, model, scored_at)
    status = ModelStatus.of(model, scored_at)
    write_renewal_scores(warehouse, scores, status)
    renewal_model: RenewalModel = model.model
    reference = training_reference(examples, renewal_model)
    drift = (feature_psi(reference, features, renewal_model.numeric, renewal_model.categorical)
             if len(reference) and len(features) else EMPTY_DRIFT)
    return ScoreRun(scores, model, drift, status)


# Shown on the dashboards: says what is missing, never where the artifacts live.
NOTHING_PUBLISHED = ("the model registry has no published version (none trained yet, or its files "
                     "are missing): `opsintel ml train` trains one")


def _write_without_model(warehouse: Warehouse, scored_at: datetime) -> ScoreRun:
    with _snapshot(warehouse) as con:
        reason = unpublished_reason(con, MODEL_NAME, NOTHING_PUBLISHED)
    status = ModelStatus(MODEL_NAME, None, NO_MODEL, reason, scored_at)
    scores = empty_scores()
    write_renewal_scores(warehouse, scores, status)
    return ScoreRun(scores, None, EMPTY_DRIFT, status)


def refresh_review_queue(warehouse: Warehouse, as_of: date) -> pd.DataFrame:
    """Rebuild ``ml.billing_review_queue`` from the billing marts as of ``as_of``."""
    with _snapshot(warehouse) as con:
        queue = build_review_queue(con, as_of)
    write_review_queue(warehouse, queue)
    return queue
