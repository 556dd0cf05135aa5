"""The generic trainer: deterministic fits, a stable data hash, clear refusals of bad frames."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from ml.training import train_binary_classifier, training_data_hash

NUMERIC = ["usage", "tickets"]
CATEGORICAL = ["plan", "region"]


def _customers(rows: int = 600, seed: int = 5) -> pd.DataFrame:
    """Synthetic customers whose churn rises with tickets, falls with usage, depends on plan."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "pro", "enterprise"], rows)
    usage = rng.gamma(2.0, 10.0, rows)
    tickets = rng.poisson(2.0, rows).astype(float)
    tickets[rng.random(rows) < 0.05] = np.nan  # missing values the imputer must fill
    logit = -1.0 + 0.5 * np.nan_to_num(tickets, nan=2.0) - 0.05 * usage + np.where(plan == "basic", 1.0, 0.0)
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({
        "usage": usage, "tickets": tickets, "plan": plan,
        "region": rng.choice(["north", "south"], rows), "churned": churned,
    })


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return _customers()


@pytest.mark.parametrize("kind", ["gradient_boosting+logistic", "gradient_boosting"])
def test_same_data_and_seed_give_the_same_probabilities(customers: pd.DataFrame, kind: str) -> None:
    first = train_binary_classifier(customers, NUMERIC, CATEGORICAL, "churned", seed=7, kind=kind)
    second = train_binary_classifier(customers.copy(), NUMERIC, CATEGORICAL, "churned", seed=7, kind=kind)
    assert np.array_equal(first.predict_proba(customers), second.predict_proba(customers))
    assert np.array_equal(first.baseline_proba(customers), second.baseline_proba(customers))
    assert first.data_hash == second.data_hash
    # The seed does reach the model: another seed draws other calibration folds.
    other_seed = train_binary_classifier(customers, NUMERIC, CATEGORICAL, "churned", seed=8, kind=kind)
    assert not np.array_equal(first.predict_proba(customers), other_seed.predict_proba(customers))


def test_model_learns_and_scores_unseen_categories_and_missing_numbers(customers: pd.DataFrame) -> None:
    trained = train_binary_classifier(customers.iloc[:400], NUMERIC, CATEGORICAL, "churned", seed=1)
    held_out = customers.iloc[400:]
    probabilities = trained.predict_proba(held_out)
    # Better than chance on rows it never saw: churners score higher on average.
    churners = held_out["churned"].to_numpy() == 1
    assert probabilities[churners].mean() > probabilities[~churners].mean() + 0.1
    odd = pd.DataFrame({"usage": [5.0], "tickets": [np.nan], "plan": ["trial"], "region": ["moon"]})
    scored = trained.predict_proba(odd)
    assert scored.shape == (1,) and 0.0 < scored[0] < 1.0


def test_boolean_target_is_accepted(customers: pd.DataFrame) -> None:
    as_bool = customers.assign(churned=customers["churned"].astype(bool))
    from_bool = train_binary_classifier(as_bool, NUMERIC, CATEGORICAL, "churned", seed=3, kind="gradient_boosting")
    from_int = train_binary_classifier(customers, NUMERIC, CATEGORICAL, "churned", seed=3, kind="gradient_boosting")
    assert np.array_equal(from_bool.predict_proba(customers), from_int.predict_proba(customers))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="plan"), "no column.*'plan'"),
        (lambda df: df.assign(churned=df["churned"] * 2), "must hold 0/1"),
        (lambda df: df.assign(churned=0), "only one class"),
        (lambda df: df.assign(churned=df["churned"].astype(float).where(df.index > 0)), "missing in 1 row"),
        (lambda df: df.assign(usage=df["usage"].astype(str)), "'usage' has dtype"),
    ],
)
def test_bad_training_frames_are_refused(customers: pd.DataFrame, change, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        train_binary_classifier(change(customers), NUMERIC, CATEGORICAL, "churned", seed=0)


def test_unknown_model_kind_is_refused(customers: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unknown model kind 'forest'"):
        train_binary_classifier(customers, NUMERIC, CATEGORICAL, "churned", seed=0, kind="forest")  # type: ignore[arg-type]


def test_training_data_hash_is_the_sha256_of_header_and_values() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.1, np.nan]})
    by_hand = hashlib.sha256(b'[["a", "int64"], ["b", "str"], ["c", "float64"]]' + b"1,x,0.1\n2,y,\n").hexdigest()
    assert training_data_hash(frame) == by_hand


def test_training_data_hash_changes_with_content_not_with_the_index(customers: pd.DataFrame) -> None:
    reference = training_data_hash(customers)
    assert training_data_hash(customers.copy()) == reference
    assert training_data_hash(customers.set_axis(range(1000, 1000 + len(customers)))) == reference
    one_value_moved = customers.copy()
    one_value_moved.loc[17, "usage"] = np.nextafter(one_value_moved.loc[17, "usage"], np.inf)
    assert training_data_hash(one_value_moved) != reference
    assert training_data_hash(customers.iloc[::-1]) != reference
    assert training_data_hash(customers.astype({"churned": float})) != reference
    assert training_data_hash(customers.rename(columns={"plan": "tier"})) != reference
