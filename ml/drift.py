"""Feature drift between the data a model was trained on and the data it scores now.

Population stability index per feature: PSI = sum over bins of (a - e) * ln(a / e), with e the
share of reference (training) rows in a bin and a the share of current rows. Numeric features
are binned at the reference's deciles (so each reference bin holds about a tenth), missing
values get a bin of their own; categorical features bin by value, with values the reference
never saw pooled in one "unseen" bin. Shares are floored at ``EMPTY_BIN_SHARE`` so an empty bin
gives a large but finite index.

Common reading: under 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a major shift.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

NUMERIC_BINS = 10
EMPTY_BIN_SHARE = 1e-4
MODERATE_SHIFT = 0.1
MAJOR_SHIFT = 0.25

_MISSING = "(missing)"
_UNSEEN = "(unseen)"


def population_stability_index(expected_shares: np.ndarray, actual_shares: np.ndarray) -> float:
    """PSI of two share vectors over the same bins (each sums to 1)."""
    expected = np.maximum(np.asarray(expected_shares, dtype=float), EMPTY_BIN_SHARE)
    actual = np.maximum(np.asarray(actual_shares, dtype=float), EMPTY_BIN_SHARE)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _shares(labels: pd.Series, bins: Sequence[str]) -> np.ndarray:
    counts = labels.value_counts().reindex(list(bins), fill_value=0).to_numpy(dtype=float)
    total = counts.sum()
    return counts / total if total else counts


def _numeric_labels(reference: pd.Series, current: pd.Series) -> tuple[pd.Series, pd.Series, list[str]]:
    known = reference.dropna().astype(float)
    edges = np.unique(np.quantile(known, np.linspace(0, 1, NUMERIC_BINS + 1))) if len(known) else np.array([])
    # Inner edges only: the outer bins stretch to +-infinity so current values outside the
    # reference's range still land in a bin.
    inner = edges[1:-1]

    def label(values: pd.Series) -> pd.Series:
        numbers = values.astype(float)
        bins = np.searchsorted(inner, numbers.to_numpy(), side="right").astype(str)
        return pd.Series(np.where(numbers.isna(), _MISSING, bins), index=values.index)

    names = [str(i) for i in range(len(inner) + 1)] + [_MISSING]
    return label(reference), label(current), names


def _categorical_labels(reference: pd.Series, current: pd.Series) -> tuple[pd.Series, pd.Series, list[str]]:
    def text(values: pd.Series) -> pd.Series:
        return values.astype("object").where(values.notna(), _MISSING).astype(str)

    ref, cur = text(reference), text(current)
    seen = sorted(set(ref))
    cur = cur.where(cur.isin(seen), _UNSEEN)
    return ref, cur, [*seen, _UNSEEN]


def feature_psi(reference: pd.DataFrame, current: pd.DataFrame, numeric: Sequence[str],
                categorical: Sequence[str]) -> pd.DataFrame:
    """One row per feature: its PSI between ``reference`` and ``current`` and a verdict."""
    if reference.empty or current.empty:
        raise ValueError("feature drift needs rows in both the reference and the current data")
    rows = []
    for kind, columns, labeller in (("numeric", numeric, _numeric_labels),
                                    ("categorical", categorical, _categorical_labels)):
        for column in columns:
            ref, cur, bins = labeller(reference[column], current[column])
            psi = population_stability_index(_shares(ref, bins), _shares(cur, bins))
            rows.append({"feature": column, "kind": kind, "psi": psi, "verdict": drift_verdict(psi)})
    return pd.DataFrame(rows, columns=["feature", "kind", "psi", "verdict"])


def drift_verdict(psi: float) -> str:
    if psi > MAJOR_SHIFT:
        return "major shift"
    if psi >= MODERATE_SHIFT:
        return "moderate shift"
    return "stable"
