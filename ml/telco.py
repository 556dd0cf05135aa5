"""The IBM Telco churn data under the published protocol, to hold our churn model to a baseline.

The protocol (Machine Learning Bookcamp, chapters 3-4): column names and text values lower-cased
with spaces as ``_``; ``totalcharges`` numeric with blanks as 0; target ``churn == "yes"``;
16 categorical columns and 3 numeric ones; ``train_test_split(test_size=0.2, random_state=1)``
gives full_train / test, and full_train splits again (``test_size=0.33, random_state=11``) into
train / val. Its logistic regression (DictVectorizer one-hot, liblinear, C=0.5) fitted on
full_train scores ROC AUC 0.858 on test; 10-fold CV over full_train
(``KFold(10, shuffle=True, random_state=1)``) averages 0.842.

Blank ``TotalCharges`` occur only for customers with tenure 0, who have not been billed yet, so
0 is their true total; a blank with tenure above 0 is an error, not a zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from ml.evaluation import ScoreSummary, roc_auc, summarize_scores
from ml.training import train_binary_classifier

CATEGORICAL = (
    "gender", "seniorcitizen", "partner", "dependents", "phoneservice", "multiplelines",
    "internetservice", "onlinesecurity", "onlinebackup", "deviceprotection", "techsupport",
    "streamingtv", "streamingmovies", "contract", "paperlessbilling", "paymentmethod",
)
NUMERIC = ("tenure", "monthlycharges", "totalcharges")
TARGET = "churn"
# Our model's seed on Telco: fixed before looking at the test split, never chosen by it.
SEED = 0

PUBLISHED_TEST_AUC = 0.858
PUBLISHED_CV_MEAN_AUC = 0.842

# Column of the file -> what it must hold. Every other listed column is free text (a category).
_SOURCE_COLUMNS = (
    "customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
    "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection",
    "TechSupport", "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling",
    "PaymentMethod", "MonthlyCharges", "TotalCharges", "Churn",
)

# The models compared, in report order.
OURS = "gradient_boosting+logistic (calibrated)"
BOOSTING_ALONE = "gradient_boosting (calibrated)"
LOGISTIC = "logistic (our preprocessing)"
PUBLISHED = "published baseline (liblinear C=0.5)"
MODEL_NAMES = (OURS, BOOSTING_ALONE, LOGISTIC, PUBLISHED)


class TelcoDataError(ValueError):
    """The Telco file cannot be read as the protocol expects; the message names file, line and field."""


def _normalised(text: pd.Series) -> pd.Series:
    return text.str.strip().str.lower().str.replace(" ", "_")


def _bad_row(path: Path, position: int, field: str, problem: str) -> TelcoDataError:
    # position is 0-based among data rows; line 1 of the file is the header.
    return TelcoDataError(f"{path}: line {position + 2}, field {field!r}: {problem}")


def _numbers(path: Path, raw: pd.DataFrame, field: str, *, integer: bool = False) -> pd.Series:
    values = pd.to_numeric(raw[field].str.strip(), errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0))
    if integer:
        bad |= values.fillna(0) % 1 != 0
    bad |= values.fillna(0) < 0
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        kind = "a whole number" if integer else "a number"
        raise _bad_row(path, position, field, f"{raw[field].iloc[position]!r} is not {kind} >= 0")
    return values.astype(int) if integer else values.astype(float)


def _one_of(path: Path, raw: pd.DataFrame, field: str, allowed: tuple[str, ...]) -> pd.Series:
    values = raw[field].str.strip()
    bad = ~values.isin(allowed)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise _bad_row(path, position, field, f"{raw[field].iloc[position]!r} is not one of {', '.join(allowed)}")
    return values


def read_telco(path: Path | str) -> pd.DataFrame:
    """The Telco CSV prepared as the protocol says: one row per customer, protocol column names,
    ``churn`` as 0/1, ``seniorcitizen`` as 0/1. Raises ``TelcoDataError`` on the first bad value."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        reason = " ".join(str(error).split())  # parser messages end in a newline
        raise TelcoDataError(f"{path}: cannot be read as CSV ({type(error).__name__}: {reason})") from None
    missing = [column for column in _SOURCE_COLUMNS if column not in raw.columns]
    if missing:
        raise TelcoDataError(f"{path}: no column(s) {', '.join(missing)}")
    for field in _SOURCE_COLUMNS:
        blank = raw[field].str.strip() == ""
        if field != "TotalCharges" and blank.any():
            raise _bad_row(path, int(np.flatnonzero(blank.to_numpy())[0]), field, "is blank")

    tenure = _numbers(path, raw, "tenure", integer=True)
    blank_total = raw["TotalCharges"].str.strip() == ""
    if (blank_total & (tenure > 0)).any():
        position = int(np.flatnonzero((blank_total & (tenure > 0)).to_numpy())[0])
        raise _bad_row(path, position, "TotalCharges", f"is blank although tenure is {tenure.iloc[position]}")
    unbilled = blank_total  # tenure 0: nothing billed yet
    total_charges = _numbers(path, raw.assign(TotalCharges=raw["TotalCharges"].mask(unbilled, "0")), "TotalCharges")
    prepared = pd.DataFrame({
        column.lower().replace(" ", "_"): _normalised(raw[column])
        for column in _SOURCE_COLUMNS
        if column not in ("tenure", "MonthlyCharges", "TotalCharges", "SeniorCitizen", "Churn")
    })
    prepared["seniorcitizen"] = _one_of(path, raw, "SeniorCitizen", ("0", "1")).astype(int)
    prepared["tenure"] = tenure
    prepared["monthlycharges"] = _numbers(path, raw, "MonthlyCharges")
    prepared["totalcharges"] = total_charges
    prepared[TARGET] = (_one_of(path, raw, "Churn", ("Yes", "No")) == "Yes").astype(int)
    return prepared[["customerid", *CATEGORICAL, *NUMERIC, TARGET]]


@dataclass(frozen=True)
class TelcoSplits:
    full_train: pd.DataFrame
    test: pd.DataFrame
    train: pd.DataFrame
    val: pd.DataFrame


def split_telco(prepared: pd.DataFrame) -> TelcoSplits:
    """The protocol's fixed splits. Tune on train / val only; test is for the final figure."""
    full_train, test = train_test_split(prepared, test_size=0.2, random_state=1)
    train, val = train_test_split(full_train, test_size=0.33, random_state=11)
    return TelcoSplits(full_train=full_train, test=test, train=train, val=val)


def _as_records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict(orient="records")


def published_baseline() -> Pipeline:
    """The protocol's logistic regression: DictVectorizer one-hot (``seniorcitizen`` stays one 0/1
    column, numbers unscaled), liblinear, C=0.5."""
    return Pipeline([
        ("records", FunctionTransformer(_as_records)),
        ("one_hot", DictVectorizer(sparse=False)),
        ("model", LogisticRegression(solver="liblinear", C=0.5, max_iter=1000)),
    ])


Scorer = Callable[[pd.DataFrame], np.ndarray]


def fit_models(train: pd.DataFrame, seed: int = SEED) -> dict[str, Scorer]:
    """Each compared model fitted on ``train``, as a function from rows to churn probabilities."""
    features = [*CATEGORICAL, *NUMERIC]
    ours = train_binary_classifier(train, NUMERIC, CATEGORICAL, TARGET, seed)
    boosting = train_binary_classifier(train, NUMERIC, CATEGORICAL, TARGET, seed, kind="gradient_boosting")
    published = published_baseline().fit(train[features], train[TARGET])
    return {
        OURS: ours.predict_proba,
        BOOSTING_ALONE: boosting.predict_proba,
        LOGISTIC: ours.baseline_proba,
        PUBLISHED: lambda rows: published.predict_proba(rows[features])[:, 1],
    }


def score_models(train: pd.DataFrame, scored: pd.DataFrame, seed: int = SEED) -> dict[str, ScoreSummary]:
    """Every model fitted on ``train`` and summarised on ``scored``."""
    return {name: summarize_scores(scored[TARGET], proba(scored)) for name, proba in fit_models(train, seed).items()}


def cross_validated_auc(full_train: pd.DataFrame, folds: int = 10, seed: int = SEED) -> dict[str, list[float]]:
    """ROC AUC of every model on each fold of the protocol's KFold over full_train."""
    scores: dict[str, list[float]] = {name: [] for name in MODEL_NAMES}
    for fit_rows, held_out_rows in KFold(n_splits=folds, shuffle=True, random_state=1).split(full_train):
        fitted, held_out = full_train.iloc[fit_rows], full_train.iloc[held_out_rows]
        for name, proba in fit_models(fitted, seed).items():
            scores[name].append(roc_auc(held_out[TARGET], proba(held_out)))
    return scores


@dataclass(frozen=True)
class TelcoEvaluation:
    test: dict[str, ScoreSummary]
    cv_auc: dict[str, list[float]]

    @property
    def test_auc(self) -> dict[str, float]:
        return {name: summary.roc_auc for name, summary in self.test.items()}

    @property
    def cv_mean_auc(self) -> dict[str, float]:
        return {name: float(np.mean(scores)) for name, scores in self.cv_auc.items()}


def evaluate_telco(path: Path | str, folds: int = 10, seed: int = SEED) -> TelcoEvaluation:
    """Test-split metrics (models fitted on full_train) and the ``folds``-fold CV AUCs over
    full_train, for our model, gradient boosting alone, our logistic baseline and the published one."""
    splits = split_telco(read_telco(path))
    return TelcoEvaluation(
        test=score_models(splits.full_train, splits.test, seed),
        cv_auc=cross_validated_auc(splits.full_train, folds, seed),
    )
