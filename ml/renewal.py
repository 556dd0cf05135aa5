"""The renewal-risk model: a training set from past scoring dates, a time split, fit and metrics.

**Training set.** The dbt model ``int_renewal_training_examples``: scoring dates are the first of
each month. Every contract decided by ``as_of`` (``int_renewal_outcomes``) is taken at each scoring
date up to ``RENEWAL_WINDOW_DAYS`` (180) days before its end date, which is what the scores see:
contracts 1 to 180 days out. Contracts end on the first of a month, so that is 1 to 5 months before
it (28 to 153 days), five rows per contract, ``days_to_renewal`` among the features. Features are
computed at that date exactly as the scores' are at the as-of date, so they hold only data dated
before it.

**Time split.** Contracts renewing before the cutoff train, the ones renewing on or after it
test, so all rows of one contract fall on one side. The cutoff is the latest first of a month that
leaves at least ``TEST_POSITIVE_SHARE`` of the positive contracts (and at least
``MIN_TEST_POSITIVES``) in the test set.

**Settings.** The feature set and model (``CANDIDATES``) are chosen on the train period only: the
same cutoff rule carves its last months off as a validation split, then the months before those,
up to ``VALIDATION_FOLDS`` rolling splits; each candidate is fitted on what renews before a
split and scored on it. The simplest candidate within ``VALIDATION_TOLERANCE`` of the best mean
validation ROC AUC wins and is refitted on the whole train period. On the SF=1 sample (seed 42) the
regularised logistic regression on the renewal signals wins; boosting and the wider feature sets
overfit the few hundred contracts (train AUC 0.8 to 0.9, validation below the logistic one).

**Calibration.** Platt scaling over 5 folds that keep each contract's rows together
(``StratifiedGroupKFold``): a contract split across folds would calibrate on rows the model saw.

**Ceiling.** ``ceiling_auc`` scores the same test contracts with the generator's own probability
of a positive outcome, read from the ground-truth folder: the best ranking any model could reach
on them. It is evaluation only; nothing here trains or scores with the truth.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ml.evaluation import ScoreSummary, calibration_table, roc_auc, summarize_scores
from ml.feature_models import FeatureModelError, read_feature_model
from ml.features import (
    CATEGORICAL_FEATURES,
    FEATURE_FRAME_COLUMNS,
    NEAR_WINDOW_DAYS,
    NUMERIC_FEATURES,
    RENEWAL_WINDOW_DAYS,
    as_feature_frame,
)
from ml.training import (
    CALIBRATION_FOLDS,
    TrainedClassifiers,
    gradient_boosting_pipeline,
    logistic_pipeline,
    preprocessor,
    training_data_hash,
)

MODEL_NAME = "renewal_risk"
TARGET = "label"
CONTRACT_KEYS = ["tenant_id", "contract_id"]
TEST_POSITIVE_SHARE = 0.25
MIN_TEST_POSITIVES = 20
MIN_TRAIN_POSITIVES = 20
MODELS = ("ours", "baseline")
SPLITS = ("train", "test")
# test rows by days to renewal, measured in ``band_metrics``
BANDS = {"0-90d": (0, NEAR_WINDOW_DAYS), "91-180d": (NEAR_WINDOW_DAYS + 1, RENEWAL_WINDOW_DAYS)}
TRUTH_FILE = "renewal_outcomes.csv"

# What moves a renewal (escalations, usage, onboarding, prices), then the account's history.
SIGNAL_NUMERIC = (
    "escalations_365d", "escalations_renewal_year", "api_usage_trend", "api_usage_slope", "usage_trend_all",
    "go_live_slip_days", "first_term_lag_over_30", "price_change_pct", "list_price_increase_pct",
    "days_to_renewal",
)
ACCOUNT_NUMERIC = ("tenure_months", "term_months", "auto_renew", "contract_mrr", "mrr_change_6m",
                   "tickets_180d", "late_payments_180d", "billing_exceptions_180d")
FEATURE_SETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "signals": (SIGNAL_NUMERIC, ("segment",)),
    "signals+account": ((*SIGNAL_NUMERIC, *ACCOUNT_NUMERIC), ("segment", "contract_type", "billing_frequency")),
    "all": (NUMERIC_FEATURES, CATEGORICAL_FEATURES),
}


class RenewalDataError(FeatureModelError):
    """The warehouse or the ground truth cannot give what training or evaluation needs (one line)."""


class TooFewRenewals(RenewalDataError):
    """Too few decided renewals to split by time and fit: a young or small company, not a fault."""


@dataclass(frozen=True)
class ModelSettings:
    """One candidate: a feature set, logistic regression's inverse regularisation strength, and
    whether gradient boosting is soft-voted in (``ml.training``'s boosting settings)."""

    feature_set: str
    logistic_c: float
    with_boosting: bool = False

    @property
    def numeric(self) -> tuple[str, ...]:
        return FEATURE_SETS[self.feature_set][0]

    @property
    def categorical(self) -> tuple[str, ...]:
        return FEATURE_SETS[self.feature_set][1]

    @property
    def label(self) -> str:
        kind = "boosting+logistic" if self.with_boosting else "logistic"
        return f"{self.feature_set}, {kind} C={self.logistic_c:g}"


CANDIDATES: tuple[ModelSettings, ...] = (
    *(ModelSettings(name, c) for name in FEATURE_SETS for c in (0.03, 0.1, 0.3, 1.0)),
    ModelSettings("signals", 0.1, with_boosting=True),
    ModelSettings("all", 1.0, with_boosting=True),  # the previous model: ml.training's default
)
DEFAULT_SETTINGS = CANDIDATES[1]  # when the train period is too short to carve a validation split
VALIDATION_FOLDS = 3
VALIDATION_TOLERANCE = 0.005


EXAMPLES_MODEL = "int_renewal_training_examples"
EXAMPLE_COLUMNS = ("scoring_date", *FEATURE_FRAME_COLUMNS, "outcome", TARGET)


def training_examples(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Every decided contract with its features at each of its scoring dates, and its label.

    The dbt model ``intermediate.int_renewal_training_examples`` (built as of ``as_of``).
    Columns: ``scoring_date``, the feature frame's columns, ``outcome`` and ``label``; ordered by
    renewal date, keys then scoring date, so the same warehouse always gives the same frame.
    """
    frame = read_feature_model(con, EXAMPLES_MODEL, as_of,
                               order_by=("renewal_date", *CONTRACT_KEYS, "scoring_date"),
                               error=RenewalDataError)
    frame["scoring_date"] = frame["scoring_date"].dt.date  # a day, as the scoring dates are
    frame[TARGET] = frame[TARGET].astype("int64")
    return as_feature_frame(frame, EXAMPLE_COLUMNS)


def contracts_of(examples: pd.DataFrame) -> pd.DataFrame:
    """One row per contract (its renewal date and label), in the examples' order."""
    return examples.drop_duplicates(CONTRACT_KEYS)[[*CONTRACT_KEYS, "renewal_date", TARGET]]


def choose_cutoff(renewal_dates: pd.Series, labels: pd.Series) -> date:
    """The latest first of a month whose later renewals hold enough positives to test on
    (one entry per contract)."""
    months = renewal_dates.dt.to_period("M").dt.start_time.dt.date
    total = int(labels.sum())
    needed = max(MIN_TEST_POSITIVES, int(np.ceil(TEST_POSITIVE_SHARE * total)))
    for month in sorted(months.unique(), reverse=True):
        test_positives = int(labels[months >= month].sum())
        if test_positives >= needed:
            if total - test_positives < MIN_TRAIN_POSITIVES:
                break
            return month
    raise TooFewRenewals(
        f"too few decided renewals to split by time: {total} positive(s) in {len(labels)} contract(s), "
        f"need {needed} to test and {MIN_TRAIN_POSITIVES} more to train"
    )


def split_by_renewal(examples: pd.DataFrame) -> tuple[date, np.ndarray]:
    """The cutoff chosen on the examples' contracts, and which rows renew on or after it."""
    contracts = contracts_of(examples)
    cutoff = choose_cutoff(contracts["renewal_date"], contracts[TARGET])
    return cutoff, (pd.to_datetime(examples["renewal_date"]).dt.date >= cutoff).to_numpy()


def contract_groups(frame: pd.DataFrame) -> np.ndarray:
    return (frame["tenant_id"].astype(str) + "/" + frame["contract_id"].astype(str)).to_numpy()


def _scorer(settings: ModelSettings, seed: int) -> ClassifierMixin:
    numeric, categorical = settings.numeric, settings.categorical
    logistic = Pipeline([("features", preprocessor(numeric, categorical)),
                         ("model", LogisticRegression(C=settings.logistic_c, max_iter=1000))])
    if not settings.with_boosting:
        return logistic
    return VotingClassifier([("gradient_boosting", gradient_boosting_pipeline(numeric, categorical, seed)),
                             ("logistic", logistic)], voting="soft")


def fit_classifiers(train: pd.DataFrame, settings: ModelSettings, seed: int) -> TrainedClassifiers:
    """The calibrated model of ``settings`` and the plain logistic baseline on the same features.

    Calibration folds keep a contract's rows together, so no fold calibrates on rows of a contract
    its model was fitted on.
    """
    numeric, categorical = settings.numeric, settings.categorical
    features, outcomes = train[[*numeric, *categorical]], train[TARGET].astype(int).to_numpy()
    folds = StratifiedGroupKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    splits = list(folds.split(features, outcomes, groups=contract_groups(train)))
    with threadpool_limits(limits=1):
        model = CalibratedClassifierCV(_scorer(settings, seed), method="sigmoid", cv=splits).fit(features, outcomes)
        baseline = logistic_pipeline(numeric, categorical).fit(features, outcomes)
    return TrainedClassifiers(
        model=model, baseline=baseline,
        kind="gradient_boosting+logistic" if settings.with_boosting else "logistic",  # type: ignore[arg-type]
        numeric=numeric, categorical=categorical, target=TARGET, seed=seed,
        data_hash=training_data_hash(train[[*numeric, *categorical, TARGET]]),
    )


def validation_folds(train: pd.DataFrame, folds: int = VALIDATION_FOLDS) -> list[tuple[date, np.ndarray]]:
    """Rolling validation splits of the train period, latest first: the cutoff rule carves the last
    months off as validation, then the months before them, and so on; each is fitted on all that
    renews before it. Fewer (or none) when the train period runs out of positives."""
    splits = []
    renewals = pd.to_datetime(train["renewal_date"]).dt.date.to_numpy()
    earlier = np.ones(len(train), dtype=bool)
    for _ in range(folds):
        try:
            cutoff, _ = split_by_renewal(train[earlier])
        except RenewalDataError:
            break
        splits.append((cutoff, earlier & (renewals >= cutoff)))
        earlier = earlier & (renewals < cutoff)
    return splits


def validation_scores(train: pd.DataFrame, seed: int,
                      candidates: Sequence[ModelSettings] = CANDIDATES) -> tuple[date | None, pd.DataFrame]:
    """Each candidate's mean ROC AUC over the rolling validation splits of the train period.

    Returns the earliest validation cutoff (None when the train period is too short to carve one)
    and a frame ``settings, validation_auc`` in candidate order (NaN without a split).
    """
    splits = validation_folds(train)
    renewals = pd.to_datetime(train["renewal_date"]).dt.date.to_numpy()
    aucs = np.full((len(candidates), len(splits)), np.nan)
    with threadpool_limits(limits=1):
        for j, (cutoff, is_validation) in enumerate(splits):
            fit, validation = train[renewals < cutoff], train[is_validation]
            for i, settings in enumerate(candidates):
                columns = [*settings.numeric, *settings.categorical]
                scorer = _scorer(settings, seed).fit(fit[columns], fit[TARGET].astype(int))
                aucs[i, j] = roc_auc(validation[TARGET].to_numpy(), scorer.predict_proba(validation[columns])[:, 1])
    mean = aucs.mean(axis=1) if splits else np.full(len(candidates), np.nan)
    return (splits[-1][0] if splits else None), pd.DataFrame({"settings": [c.label for c in candidates],
                                                               "validation_auc": mean})


def choose_settings(validation: pd.DataFrame, candidates: Sequence[ModelSettings] = CANDIDATES) -> ModelSettings:
    """The first candidate (they run from simple to complex) within ``VALIDATION_TOLERANCE`` of the
    best mean validation AUC: differences that small are noise on a few dozen positives."""
    aucs = validation["validation_auc"].to_numpy()
    if np.isnan(aucs).all():
        return DEFAULT_SETTINGS
    return candidates[int(np.flatnonzero(aucs >= np.nanmax(aucs) - VALIDATION_TOLERANCE)[0])]


@dataclass(frozen=True)
class RenewalModel:
    """A fitted renewal-risk model with everything needed to judge, explain and reproduce it."""

    classifiers: TrainedClassifiers
    as_of: date
    cutoff: date
    seed: int
    settings: ModelSettings
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    train_rows: int  # examples: one contract at one scoring date
    test_rows: int
    train_contracts: int
    test_contracts: int
    train_positives: int  # rows
    test_positives: int
    data_hash: str  # of every example (keys, features, label) in order
    validation_cutoff: date | None  # the earliest rolling validation split's, None if none
    validation: pd.DataFrame  # settings, validation_auc per candidate
    metrics: dict[tuple[str, str], ScoreSummary]  # (ours | baseline, train | test)
    band_metrics: dict[tuple[str, str], ScoreSummary]  # (ours | baseline, a BANDS name): test rows
    calibration: pd.DataFrame  # ours on the test split
    # tenant_id, contract_id, scoring_date, renewal_date, days_to_renewal, label, ours, baseline
    test_predictions: pd.DataFrame
    reference: dict[str, object]  # training median (numeric) or mode (categorical) per feature

    @property
    def features(self) -> tuple[str, ...]:
        return (*self.numeric, *self.categorical)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.classifiers.predict_proba(frame)


def reference_values(frame: pd.DataFrame, numeric: tuple[str, ...], categorical: tuple[str, ...]) -> dict[str, object]:
    """A typical contract: each numeric feature's median, each categorical feature's most common value."""
    reference: dict[str, object] = {name: float(frame[name].median()) for name in numeric}
    # mode() sorts its ties, so the choice does not depend on row order
    reference.update({name: str(frame[name].mode().iloc[0]) for name in categorical})
    return reference


def band_of(days_to_renewal: pd.Series) -> pd.Series:
    """The ``BANDS`` name of each row's days to renewal (None outside every band)."""
    days = days_to_renewal.to_numpy()
    names = np.full(len(days), None, dtype=object)
    for band, (low, high) in BANDS.items():
        names[(days >= low) & (days <= high)] = band
    return pd.Series(names, index=days_to_renewal.index)


def _band_metrics(test: pd.DataFrame, scores: dict[tuple[str, str], np.ndarray]) -> dict[tuple[str, str], ScoreSummary]:
    """Ours and the baseline on the test rows of each band that holds both classes."""
    bands = band_of(test["days_to_renewal"]).to_numpy()
    labels = test[TARGET].to_numpy()
    metrics = {}
    for band in BANDS:
        rows = bands == band
        if 0 < labels[rows].sum() < rows.sum():  # AUC needs both classes
            for model in MODELS:
                metrics[(model, band)] = summarize_scores(labels[rows], scores[(model, "test")][rows])
    return metrics


def fit_renewal_model(examples: pd.DataFrame, as_of: date, seed: int) -> RenewalModel:
    """Split the examples by renewal date, choose settings on the train period, fit, measure on the test."""
    if examples.empty:
        raise TooFewRenewals(f"no contract has ended by {as_of}: nothing to learn renewal outcomes from")
    examples = examples.assign(renewal_date=pd.to_datetime(examples["renewal_date"]))
    cutoff, is_test = split_by_renewal(examples)
    train, test = examples[~is_test], examples[is_test]
    validation_cutoff, validation = validation_scores(train, seed)
    settings = choose_settings(validation)
    classifiers = fit_classifiers(train, settings, seed)

    scores = {
        (model, split): (classifiers.predict_proba(part) if model == "ours" else classifiers.baseline_proba(part))
        for split, part in (("train", train), ("test", test)) for model in MODELS
    }
    test_predictions = test[[*CONTRACT_KEYS, "scoring_date", "renewal_date", "days_to_renewal", TARGET]].reset_index(
        drop=True)
    test_predictions["ours"] = scores[("ours", "test")]
    test_predictions["baseline"] = scores[("baseline", "test")]
    numeric, categorical = settings.numeric, settings.categorical
    return RenewalModel(
        classifiers=classifiers,
        as_of=as_of,
        cutoff=cutoff,
        seed=seed,
        settings=settings,
        numeric=numeric,
        categorical=categorical,
        train_rows=len(train),
        test_rows=len(test),
        train_contracts=len(contracts_of(train)),
        test_contracts=len(contracts_of(test)),
        train_positives=int(train[TARGET].sum()),
        test_positives=int(test[TARGET].sum()),
        data_hash=training_data_hash(examples[["scoring_date", *FEATURE_FRAME_COLUMNS, TARGET]]),
        validation_cutoff=validation_cutoff,
        validation=validation,
        metrics={key: summarize_scores((train if key[1] == "train" else test)[TARGET].to_numpy(), values)
                 for key, values in scores.items()},
        band_metrics=_band_metrics(test, scores),
        calibration=calibration_table(test[TARGET].to_numpy(), scores[("ours", "test")]),
        test_predictions=test_predictions,
        reference=reference_values(train, numeric, categorical),
    )


def train_renewal_model(con: duckdb.DuckDBPyConnection, as_of: date, seed: int) -> RenewalModel:
    """Build the examples from the warehouse and fit (``fit_renewal_model``)."""
    return fit_renewal_model(training_examples(con, as_of), as_of, seed)


# -- the ceiling: evaluation against the generator's truth ------------------------------------

def true_positive_probabilities(ground_truth: Path) -> pd.DataFrame:
    """``tenant_id, contract_id, true_probability`` from the generator's renewal outcomes, where
    true_probability = P(churn) + (1 - P(churn)) x P(contraction), its chance of a positive label."""
    path = Path(ground_truth) / TRUTH_FILE
    if not path.is_file():
        raise RenewalDataError(f"no ground truth at {path}: generate a sample company with `opsintel generate`")
    wanted = ("tenant_id", "contract_id", "churn_probability", "contraction_probability")
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in wanted if name not in (reader.fieldnames or [])]
        if missing:
            raise RenewalDataError(f"{path}: no column(s) {', '.join(missing)} in the header")
        for line, record in enumerate(reader, start=2):
            churn = _probability(record, "churn_probability", path, line)
            contraction = _probability(record, "contraction_probability", path, line)
            rows.append((record["tenant_id"], record["contract_id"], churn + (1 - churn) * contraction))
    return pd.DataFrame(rows, columns=["tenant_id", "contract_id", "true_probability"])


def _probability(record: dict[str, str], field: str, path: Path, line: int) -> float:
    text = record[field]
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise RenewalDataError(f"{path}: line {line}: {field} is not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise RenewalDataError(f"{path}: line {line}: {field} {value} is outside [0, 1]")
    return value


def ceiling_auc(model: RenewalModel, ground_truth: Path) -> float:
    """ROC AUC of the generator's true probability on the model's test rows and labels."""
    test = _with_truth(model, ground_truth)
    return roc_auc(test[TARGET].to_numpy(), test["true_probability"].to_numpy())


def band_ceiling_aucs(model: RenewalModel, ground_truth: Path) -> dict[str, float]:
    """``ceiling_auc`` on the test rows of each ``BANDS`` band that holds both classes."""
    test = _with_truth(model, ground_truth)
    bands = band_of(test["days_to_renewal"])
    return {band: roc_auc(test.loc[bands == band, TARGET].to_numpy(),
                          test.loc[bands == band, "true_probability"].to_numpy())
            for band in BANDS if ("ours", band) in model.band_metrics}


def band_report(model: RenewalModel, ceiling: float, band_ceilings: dict[str, float]) -> str:
    """Test ROC AUC of ours, the baseline and the ceiling, overall and per band of days to renewal."""
    lines = [(f"  test ROC AUC by days to renewal ({model.test_contracts} contracts, {model.test_rows} rows; "
              f"train {model.train_contracts} contracts, {model.train_rows} rows):"),
             f"  {'band':<9}{'rows':>6}{'ours':>8}{'baseline':>10}{'ceiling':>9}{'gap':>8}"]
    rows = [("all", model.metrics[("ours", "test")], model.metrics[("baseline", "test")], ceiling)]
    rows += [(band, model.band_metrics[("ours", band)], model.band_metrics[("baseline", band)], band_ceiling)
             for band, band_ceiling in band_ceilings.items()]
    lines += [f"  {band:<9}{ours.rows:>6}{ours.roc_auc:>8.4f}{baseline.roc_auc:>10.4f}{top:>9.4f}{top - ours.roc_auc:>+8.4f}"
              for band, ours, baseline, top in rows]
    missing = [band for band in BANDS if band not in band_ceilings]
    if missing:
        lines.append(f"  (no AUC for {', '.join(missing)}: one class only)")
    lines.append(f"  settings chosen on the train period's rolling validation: {model.settings.label}")
    return "\n".join(lines)


def _with_truth(model: RenewalModel, ground_truth: Path) -> pd.DataFrame:
    truth = true_positive_probabilities(ground_truth)
    test = model.test_predictions.merge(truth, on=["tenant_id", "contract_id"], how="left")
    unmatched = test["true_probability"].isna()
    if unmatched.any():
        first = test[unmatched].iloc[0]
        raise RenewalDataError(
            f"{Path(ground_truth) / TRUTH_FILE}: no truth for {int(unmatched.sum())} test contract(s), "
            f"e.g. {first['tenant_id']} {first['contract_id']}: is it the truth of this warehouse?"
        )
    return test
