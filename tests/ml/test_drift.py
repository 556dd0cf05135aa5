"""Population stability index: hand-computed cases for numeric, categorical and missing values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.drift import EMPTY_BIN_SHARE, drift_verdict, feature_psi, population_stability_index


def test_psi_of_two_share_vectors_by_hand() -> None:
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
    expected = -0.25 * math.log(0.5) + 0.25 * math.log(1.5)
    assert population_stability_index(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(expected)
    assert population_stability_index(np.array([0.3, 0.7]), np.array([0.3, 0.7])) == 0.0


def test_numeric_feature_binned_at_reference_deciles() -> None:
    reference = pd.DataFrame({"x": np.arange(100, dtype=float)})
    # Every current row sits in the reference's lowest decile (0..9).
    current = pd.DataFrame({"x": np.tile(np.arange(10, dtype=float), 5)})
    got = feature_psi(reference, current, ["x"], []).set_index("feature").loc["x"]
    floor = EMPTY_BIN_SHARE
    by_hand = (1 - 0.1) * math.log(1 / 0.1) + 9 * (floor - 0.1) * math.log(floor / 0.1)
    assert got["psi"] == pytest.approx(by_hand)
    assert got["verdict"] == "major shift"
    same = feature_psi(reference, reference.sample(frac=1, random_state=0), ["x"], [])
    assert same["psi"].iloc[0] == pytest.approx(0.0)


def test_values_outside_the_reference_range_and_missing_values_have_bins() -> None:
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    # Each reference value has a decile bin of its own; the outer bins are open, so -50 shares
    # 1's bin and 99 shares 4's.
    current = pd.DataFrame({"x": [-50.0, 2.0, 3.0, 99.0]})
    assert feature_psi(reference, current, ["x"], [])["psi"].iloc[0] == pytest.approx(0.0)
    with_missing = pd.DataFrame({"x": [1.0, 2.0, np.nan, np.nan]})
    # reference: the bins of 1, 2, 3 and 4 hold 0.25 each, missing 0;
    # current: 0.25, 0.25, 0, 0 and missing 0.5
    ref_shares = feature_psi(reference, reference, ["x"], [])
    assert ref_shares["psi"].iloc[0] == 0.0
    got = feature_psi(reference, with_missing, ["x"], [])["psi"].iloc[0]
    floor = EMPTY_BIN_SHARE
    by_hand = 2 * (floor - 0.25) * math.log(floor / 0.25) + (0.5 - floor) * math.log(0.5 / floor)
    assert got == pytest.approx(by_hand)


def test_categorical_feature_with_an_unseen_value() -> None:
    reference = pd.DataFrame({"segment": ["smb"] * 50 + ["enterprise"] * 50})
    current = pd.DataFrame({"segment": ["smb"] * 25 + ["enterprise"] * 25 + ["public_sector"] * 50})
    got = feature_psi(reference, current, [], ["segment"]).iloc[0]
    floor = EMPTY_BIN_SHARE
    by_hand = 2 * (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.5 - floor) * math.log(0.5 / floor)
    assert got["psi"] == pytest.approx(by_hand)
    assert got["kind"] == "categorical"


def test_verdict_thresholds_and_empty_frames() -> None:
    assert [drift_verdict(v) for v in (0.0, 0.099, 0.1, 0.25, 0.2501)] == [
        "stable", "stable", "moderate shift", "moderate shift", "major shift"]
    with pytest.raises(ValueError, match="rows in both"):
        feature_psi(pd.DataFrame({"x": []}), pd.DataFrame({"x": [1.0]}), ["x"], [])
