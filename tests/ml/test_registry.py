"""Model versions: the publish rule, the rows and files of a registration, loading, and all-or-nothing writes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from foundation.warehouse import Warehouse, WarehouseError
from ml import registry
from ml.registry import RegistryError, load_model, publish_decision, register_model

NAME = "renewal_risk"
TRAINED_AT = datetime(2026, 11, 1, 8, 30)


@pytest.mark.parametrize(
    ("candidate", "previous", "floor", "published", "words"),
    [
        (0.70, None, 0.60, True, "first published version"),
        (0.70, 0.65, 0.60, True, "clears the floor 0.6000 and the published 0.6500"),
        (0.65, 0.65, 0.60, True, "clears"),  # the same figure again (a retrain on the same data) may replace it
        (0.59, None, 0.60, False, "0.5900 is under the floor 0.6000"),
        (0.64, 0.65, 0.60, False, "0.6400 is under the published version's 0.6500"),
        (0.55, 0.65, 0.60, False, "under the floor"),  # the floor is checked first
        (float("nan"), None, 0.60, False, "not a number"),
    ],
)
def test_publish_decision(candidate: float, previous: float | None, floor: float, published: bool, words: str) -> None:
    decision = publish_decision(candidate, previous, floor)
    assert decision.published is published
    assert decision.status == ("published" if published else "rejected")
    assert words in decision.reason


def _rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.reader() as con:
        return con.execute(sql).fetchall()


def test_register_record_and_load_versions(company_copy, renewal_model, tmp_path: Path) -> None:
    warehouse, artifacts = Warehouse(company_copy.path), tmp_path / "artifacts"
    test_auc = renewal_model.metrics[("ours", "test")].roc_auc
    first = register_model(warehouse, NAME, renewal_model, trained_at=TRAINED_AT, floor=0.0, artifacts_root=artifacts)
    second = register_model(warehouse, NAME, renewal_model, trained_at=TRAINED_AT, floor=test_auc + 0.01,
                            artifacts_root=artifacts)
    assert (first.version, first.status) == (1, "published")
    assert (second.version, second.status) == (2, "rejected")
    assert "under the floor" in second.reason

    versions = _rows(warehouse, "select version, status, seed, training_data_hash, features, cutoff, train_rows,"
                                " test_rows, train_positives, test_positives, trained_at, artifact_path"
                                " from ml.model_versions order by version")
    assert [v[:2] for v in versions] == [(1, "published"), (2, "rejected")]
    v1 = versions[0]
    assert v1[2:4] == (3, renewal_model.data_hash)
    assert json.loads(v1[4]) == list(renewal_model.features)
    assert v1[5:10] == (renewal_model.cutoff, renewal_model.train_rows, renewal_model.test_rows,
                        renewal_model.train_positives, renewal_model.test_positives)
    assert v1[10] == TRAINED_AT and v1[11] == str(artifacts / "models" / NAME / "1")

    metrics = _rows(warehouse, "select model, split, roc_auc, pr_auc, brier, top_decile_lift, rows, positives"
                               " from ml.model_metrics where version = 1 order by model, split")
    assert [(m, s) for m, s, *_ in metrics] == [("baseline", "test"), ("baseline", "train"), ("ours", "test"), ("ours", "train")]
    for model, split, auc, pr, brier, lift, rows, positives in metrics:
        expected = renewal_model.metrics[(model, split)]
        assert (auc, pr, brier, lift, rows) == (expected.roc_auc, expected.pr_auc, expected.brier,
                                                expected.top_decile_lift, expected.rows)
    assert metrics[2][7] == renewal_model.test_positives
    calibration = _rows(warehouse, "select bin, mean_predicted, observed_rate, rows from ml.model_calibration"
                                   " where version = 1 order by bin")
    assert calibration == [(int(r.bin), r.mean_predicted, r.observed_rate, int(r.rows))
                           for r in renewal_model.calibration.itertuples()]

    # None loads the latest *published* version
    latest = load_model(NAME, artifacts_root=artifacts)
    assert (latest.version, latest.metadata["status"]) == (1, "published")
    rejected = load_model(NAME, 2, artifacts_root=artifacts)
    assert rejected.metadata["status"] == "rejected" and rejected.metadata["reason"] == second.reason
    assert latest.model.data_hash == renewal_model.data_hash
    assert latest.model.reference == renewal_model.reference

    # a third version that beats the floor and equals the published AUC is published and becomes latest
    third = register_model(warehouse, NAME, renewal_model, trained_at=TRAINED_AT, floor=0.0, artifacts_root=artifacts)
    assert (third.version, third.status) == (3, "published")
    assert load_model(NAME, artifacts_root=artifacts).version == 3


def test_loaded_model_scores_like_the_original(company_copy, renewal_model, tmp_path: Path) -> None:
    from ml.features import renewal_features

    artifacts = tmp_path / "artifacts"
    register_model(Warehouse(company_copy.path), NAME, renewal_model, floor=0.0, artifacts_root=artifacts)
    with company_copy.reader() as con:
        frame = renewal_features(con, company_copy.as_of)
    loaded = load_model(NAME, artifacts_root=artifacts)
    assert np.array_equal(loaded.model.predict_proba(frame), renewal_model.predict_proba(frame))


def test_missing_or_damaged_versions_fail_in_one_line(company_copy, renewal_model, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    with pytest.raises(RegistryError, match="no published version of model 'renewal_risk'"):
        load_model(NAME, artifacts_root=artifacts)
    register_model(Warehouse(company_copy.path), NAME, renewal_model, floor=0.0, artifacts_root=artifacts)
    with pytest.raises(RegistryError, match="has no version 7"):
        load_model(NAME, 7, artifacts_root=artifacts)

    folder = artifacts / "models" / NAME / "1"
    model_file = folder / "model.joblib"
    model_file.write_bytes(model_file.read_bytes()[:1000])  # truncated
    with pytest.raises(RegistryError) as error:
        load_model(NAME, 1, artifacts_root=artifacts)
    assert "damaged" in str(error.value) and "\n" not in str(error.value)
    (folder / "metadata.json").write_text("{not json")
    with pytest.raises(RegistryError, match="cannot read .*metadata.json"):
        load_model(NAME, 1, artifacts_root=artifacts)


def test_a_failed_registration_leaves_nothing(company_copy, renewal_model, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse, artifacts = Warehouse(company_copy.path), tmp_path / "artifacts"
    register_model(warehouse, NAME, renewal_model, floor=0.0, artifacts_root=artifacts)
    real_insert = registry._insert

    def fail_on_calibration(con, table, frame):
        if table == "model_calibration":
            raise WarehouseError("disk full (simulated)")
        real_insert(con, table, frame)

    monkeypatch.setattr(registry, "_insert", fail_on_calibration)
    with pytest.raises(WarehouseError, match="simulated"):
        register_model(warehouse, NAME, renewal_model, floor=0.0, artifacts_root=artifacts)
    # neither the version and metrics rows written before the failure nor its artifact remain
    assert _rows(warehouse, "select version from ml.model_versions") == [(1,)]
    assert _rows(warehouse, "select distinct version from ml.model_metrics") == [(1,)]
    assert sorted(p.name for p in (artifacts / "models" / NAME).iterdir()) == ["1"]

    monkeypatch.setattr(registry, "_insert", real_insert)
    again = register_model(warehouse, NAME, renewal_model, floor=0.0, artifacts_root=artifacts)
    assert again.version == 2
