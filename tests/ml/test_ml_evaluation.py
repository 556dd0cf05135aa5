"""The score metrics against values worked out by hand on ten rows, and against scikit-learn.

The ten rows, ranked by score (the input below is in a shuffled order):

    score  0.9  0.8  0.7  0.6  0.5  0.5  0.3  0.2  0.1  0.05
    label    1    0    1    1    0    1    0    0    0    0      4 positives, 6 negatives

ROC AUC: pairs (positive, negative) ranked right, ties half: 0.9 beats 6, 0.7 and 0.6 beat 5
each, 0.5 beats 4 and ties 1 -> (6 + 5 + 5 + 4.5) / 24.
Average precision, one point per distinct score (recall gained x precision):
0.9 -> 0.25 x 1/1; 0.7 -> 0.25 x 2/3; 0.6 -> 0.25 x 3/4; the two 0.5 rows -> 0.25 x 4/6.
Brier: squared errors .01 .64 .09 .16 .25 .25 .09 .04 .01 .0025 sum to 1.5425, / 10.
Top-decile lift: the top ceil(10 / 10) = 1 row is a positive: 1 / 0.4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from ml.evaluation import (
    brier_score,
    calibration_table,
    pr_auc,
    roc_auc,
    summarize_scores,
    top_decile_lift,
)

SCORES = np.array([0.5, 0.1, 0.9, 0.3, 0.6, 0.05, 0.8, 0.5, 0.2, 0.7])
LABELS = np.array([1, 0, 1, 0, 1, 0, 0, 0, 0, 1])


def test_roc_auc_by_hand() -> None:
    assert roc_auc(LABELS, SCORES) == pytest.approx(20.5 / 24)


def test_pr_auc_by_hand() -> None:
    assert pr_auc(LABELS, SCORES) == pytest.approx(0.25 * (1 + 2 / 3 + 3 / 4 + 4 / 6))


def test_brier_by_hand() -> None:
    assert brier_score(LABELS, SCORES) == pytest.approx(0.15425)


def test_top_decile_lift_by_hand() -> None:
    assert top_decile_lift(LABELS, SCORES) == pytest.approx(2.5)
    # 20 rows, 5 positives (rate 0.25); the top ceil(20 / 10) = 2 rows hold one positive: 0.5 / 0.25.
    scores = np.arange(20, 0, -1) / 20
    labels = np.array([1, 0] + [0] * 13 + [1] * 4 + [0])
    assert top_decile_lift(labels, scores) == pytest.approx(2.0)
    # 11 rows: the top decile is ceil(1.1) = 2 rows, here one positive of 2 (rate 0.5) vs 2 of 11.
    assert top_decile_lift([0, 1] + [0] * 8 + [1], np.linspace(1, 0, 11)) == pytest.approx(0.5 / (2 / 11))


def test_calibration_table_by_hand() -> None:
    table = calibration_table(LABELS, SCORES, bins=5)
    expected = pd.DataFrame({
        "bin": [1, 2, 3, 4, 5],
        "rows": [2, 2, 2, 2, 2],
        "positives": [0, 0, 1, 2, 1],
        "mean_predicted": [0.075, 0.25, 0.5, 0.65, 0.85],
        "observed_rate": [0.0, 0.0, 0.5, 1.0, 0.5],
    })
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_calibration_table_sums_to_the_whole() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(1003).round(2)  # ties, and 1003 rows do not divide into 10 bins
    labels = (rng.random(1003) < scores).astype(int)
    table = calibration_table(labels, scores)
    assert list(table["bin"]) == list(range(1, 11))
    assert list(table["rows"]) == [101, 101, 101] + [100] * 7
    assert table["rows"].sum() == 1003
    assert table["positives"].sum() == labels.sum()
    assert (table["rows"] * table["mean_predicted"]).sum() == pytest.approx(scores.sum())
    assert (table["rows"] * table["observed_rate"]).sum() == pytest.approx(labels.sum())
    assert table["mean_predicted"].is_monotonic_increasing


def test_calibration_table_with_fewer_rows_than_bins() -> None:
    table = calibration_table([1, 0, 1], [0.2, 0.1, 0.9])
    assert list(table["rows"]) == [1, 1, 1]
    assert list(table["mean_predicted"]) == [0.1, 0.2, 0.9]
    assert list(table["observed_rate"]) == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_agree_with_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.random(500).round(1)  # only 11 distinct scores: many ties
    labels = (rng.random(500) < 0.3 + 0.4 * scores).astype(int)
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert pr_auc(labels, scores) == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert brier_score(labels, scores) == pytest.approx(brier_score_loss(labels, scores), abs=1e-12)


def test_summary_collects_the_metrics() -> None:
    summary = summarize_scores(LABELS, SCORES)
    assert (summary.rows, summary.positive_rate) == (10, 0.4)
    assert summary.roc_auc == pytest.approx(20.5 / 24)
    assert summary.brier == pytest.approx(0.15425)
    assert summary.top_decile_lift == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "only 0/1"),
        ([0, 1], [0.1], "equal length"),
        ([], [], "no rows"),
        ([1, 1], [0.1, 0.2], "both classes"),
        ([0, 1], [0.1, float("nan")], "NaN"),
    ],
)
def test_bad_input_says_what_is_wrong(labels: list, scores: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        roc_auc(labels, scores)


def test_brier_refuses_scores_outside_probabilities() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier_score([0, 1], [0.5, 1.5])
