"""Metrics of a binary classifier's scores, each a small function over plain arrays.

They are written out here rather than borrowed from scikit-learn so that each definition is
visible in one place (ties, the top-decile cut, the calibration bins) and can be checked
against scikit-learn where it has the same metric.

Conventions: ``y_true`` holds 0/1 (or booleans), ``y_score`` the predicted probability of 1.
Rows are ranked by score, highest first; ties keep the input order (a stable sort), so the
top-decile cut is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import rankdata

CALIBRATION_BINS = 10


def _checked(y_true: ArrayLike, y_score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(y_true)
    scores = np.asarray(y_score, dtype=float)
    if labels.ndim != 1 or scores.ndim != 1 or len(labels) != len(scores):
        raise ValueError(f"y_true and y_score must be 1-d of equal length, got {labels.shape} and {scores.shape}")
    if len(labels) == 0:
        raise ValueError("no rows to evaluate")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"y_true must hold only 0/1, found {sorted(set(labels.tolist()) - {0, 1})[:3]}")
    if not np.isfinite(scores).all():
        raise ValueError("y_score holds NaN or infinite values")
    return labels.astype(int), scores


def _both_classes(labels: np.ndarray, metric: str) -> None:
    if labels.min() == labels.max():
        raise ValueError(f"{metric} needs both classes in y_true, found only {labels[0]}")


def roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Probability that a random positive scores above a random negative (ties count half).

    The Mann-Whitney form: sum of the positives' ranks (average rank for ties), less the least
    that sum could be, over positives x negatives.
    """
    labels, scores = _checked(y_true, y_score)
    _both_classes(labels, "ROC AUC")
    ranks = rankdata(scores)  # average ranks: a tie between a positive and a negative counts 1/2
    positives = int(labels.sum())
    negatives = len(labels) - positives
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def pr_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the precision-recall curve as average precision: sum over score thresholds of
    (recall gained) x (precision there), without interpolation (scikit-learn's definition)."""
    labels, scores = _checked(y_true, y_score)
    _both_classes(labels, "PR AUC")
    order = np.argsort(-scores, kind="stable")
    ranked_scores, ranked_labels = scores[order], labels[order]
    # One point per distinct score: rows tied on a score enter the curve together.
    last_of_each_score = np.r_[np.flatnonzero(np.diff(ranked_scores)), len(ranked_scores) - 1]
    true_positives = np.cumsum(ranked_labels)[last_of_each_score]
    flagged = last_of_each_score + 1
    precision = true_positives / flagged
    recall = true_positives / labels.sum()
    recall_gained = np.diff(np.r_[0.0, recall])
    return float((recall_gained * precision).sum())


def brier_score(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Mean squared difference between predicted probability and outcome (0 is perfect)."""
    labels, scores = _checked(y_true, y_score)
    if scores.min() < 0 or scores.max() > 1:
        raise ValueError("Brier score needs probabilities in [0, 1]")
    return float(np.mean((scores - labels) ** 2))


def top_decile_lift(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Positive rate among the highest-scored tenth of rows (ceil(n / 10) rows) over the overall
    positive rate: how many times better than random the top 10 % of the list is."""
    labels, scores = _checked(y_true, y_score)
    if labels.sum() == 0:
        raise ValueError("lift needs at least one positive in y_true")
    top_rows = math.ceil(len(labels) / 10)
    top = labels[np.argsort(-scores, kind="stable")[:top_rows]]
    return float(top.mean() / labels.mean())


def calibration_table(y_true: ArrayLike, y_score: ArrayLike, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Mean predicted probability against observed positive rate per equal-count bin of rows
    ranked by score (deciles by default; bin 1 holds the lowest scores).

    Equal-count bins (rather than fixed probability ranges) keep every bin populated however
    the scores are spread; when rows do not divide evenly the first bins take one row more.
    Columns: ``bin, rows, positives, mean_predicted, observed_rate``.
    """
    labels, scores = _checked(y_true, y_score)
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    order = np.argsort(scores, kind="stable")
    records = [
        {
            "bin": number,
            "rows": len(members),
            "positives": int(labels[members].sum()),
            "mean_predicted": float(scores[members].mean()),
            "observed_rate": float(labels[members].mean()),
        }
        for number, members in enumerate(np.array_split(order, bins), start=1)
        if len(members)
    ]
    return pd.DataFrame.from_records(records)


@dataclass(frozen=True)
class ScoreSummary:
    """The headline metrics of one model's scores on one evaluation set."""

    rows: int
    positive_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    top_decile_lift: float


def summarize_scores(y_true: ArrayLike, y_score: ArrayLike) -> ScoreSummary:
    labels, scores = _checked(y_true, y_score)
    return ScoreSummary(
        rows=len(labels),
        positive_rate=float(labels.mean()),
        roc_auc=roc_auc(labels, scores),
        pr_auc=pr_auc(labels, scores),
        brier=brier_score(labels, scores),
        top_decile_lift=top_decile_lift(labels, scores),
    )
