"""Scores of the contracts up for renewal, the scores table, and the `ml` commands end to end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from foundation.warehouse import Warehouse, WarehouseError
from ml.drivers import SEPARATOR
from ml.features import renewal_features
from ml.registry import LoadedModel
from ml.scoring import (
    HIGH_RISK_MIN_PROBABILITY,
    MEDIUM_RISK_MIN_PROBABILITY,
    NO_MODEL,
    SCORE_COLUMNS,
    ModelStatus,
    score_renewals,
    write_renewal_scores,
)
from opsintel.commands.ml import ml

SCORED_AT = datetime(2026, 11, 1, 6, 0)


class FailingAtTheEnd(Warehouse):
    """A warehouse whose write fails once the caller's statements have run."""

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().writer() as con:
            yield con
            raise WarehouseError("cannot write warehouse: disk full (simulated)")


@pytest.fixture(scope="module")
def loaded(renewal_model) -> LoadedModel:
    return LoadedModel("renewal_risk", 4, renewal_model, {"status": "published"})


@pytest.fixture(scope="module")
def scores(renewal_company, loaded) -> pd.DataFrame:
    with renewal_company.reader() as con:
        return score_renewals(con, loaded, renewal_company.as_of, SCORED_AT)


def test_one_score_per_contract_up_for_renewal(renewal_company, renewal_model, scores) -> None:
    as_of = renewal_company.as_of
    with renewal_company.reader() as con:
        features = renewal_features(con, as_of)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert list(scores["contract_id"]) == list(features["contract_id"]) and len(scores) > 30
    assert np.array_equal(scores["probability"], renewal_model.predict_proba(features))
    assert (scores["days_to_renewal"] == [(d - as_of).days for d in scores["renewal_date"]]).all()
    assert scores["days_to_renewal"].between(1, 180).all()
    assert (scores["within_90_days"] == (scores["days_to_renewal"] <= 90)).all() and scores["within_180_days"].all()
    assert np.allclose(scores["contract_mrr"], features["contract_mrr"])
    expected_band = ["high" if p >= HIGH_RISK_MIN_PROBABILITY else "medium" if p >= MEDIUM_RISK_MIN_PROBABILITY
                     else "low" for p in scores["probability"]]
    assert list(scores["risk_band"]) == expected_band
    assert {"medium", "low"} <= set(expected_band)
    assert (scores["model_version"] == 4).all() and (scores["scored_at"] == pd.Timestamp(SCORED_AT)).all()
    counts = scores["drivers"].map(lambda text: len(text.split(SEPARATOR)) if text else 0)
    # a contract as risky as a typical one has no risk-raising driver; most are not typical
    assert counts.between(0, 3).all() and (counts > 0).sum() > len(scores) / 2
    assert counts[scores["probability"].idxmax()] > 0


def test_scores_table_is_replaced_atomically_and_idempotently(company_copy, loaded, scores) -> None:
    warehouse = Warehouse(company_copy.path)
    status = ModelStatus.of(loaded, SCORED_AT)
    assert write_renewal_scores(warehouse, scores, status) == len(scores)
    with warehouse.reader() as con:
        first = con.execute("select * from ml.renewal_risk_scores").fetchall()
    assert write_renewal_scores(warehouse, scores.sample(frac=1, random_state=1), status) == len(scores)  # shuffled
    with warehouse.reader() as con:
        second = con.execute("select * from ml.renewal_risk_scores").fetchall()
        status_rows = con.execute("select * from ml.renewal_model_status order by tenant_id").fetchall()
        tenants = con.execute("select tenant_id from marts.dim_tenant order by tenant_id").fetchall()
        types = dict(con.execute("select column_name, data_type from information_schema.columns"
                                 " where table_schema = 'ml' and table_name = 'renewal_risk_scores'").fetchall())
    assert first == second and len(first) == len(scores)
    assert (types["renewal_date"], types["probability"], types["scored_at"]) == ("DATE", "DOUBLE", "TIMESTAMP")
    assert first[0][:2] == tuple(scores.sort_values(["tenant_id", "contract_id"]).iloc[0][["tenant_id", "contract_id"]])
    # one status row per tenant: which version scored, its registry status, at what time
    assert status_rows == [(tenant, "renewal_risk", 4, "published", "", SCORED_AT) for (tenant,) in tenants]

    # a write that fails after the table was replaced (at the checkpoint, say) leaves the previous one
    with pytest.raises(WarehouseError, match="simulated"):
        write_renewal_scores(FailingAtTheEnd(company_copy.path), scores.assign(probability=0.0),
                             ModelStatus("renewal_risk", None, NO_MODEL, "simulated", SCORED_AT))
    with warehouse.reader() as con:
        assert con.execute("select * from ml.renewal_risk_scores").fetchall() == first
        assert con.execute("select * from ml.renewal_model_status order by tenant_id").fetchall() == status_rows
    with pytest.raises(ValueError, match="no column.*drivers"):
        write_renewal_scores(warehouse, scores.drop(columns=["drivers"]), status)


def _invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(ml, list(args), catch_exceptions=False)


def test_ml_commands_end_to_end(company_copy, renewal_model, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert isinstance(ml, click.Group) and ml.name == "ml"
    monkeypatch.setenv("OPSINTEL_ARTIFACTS", str(tmp_path / "artifacts"))
    where = ("--warehouse", str(company_copy.path), "--as-of", company_copy.as_of.isoformat())

    missing = _invoke("score", *where)
    assert missing.exit_code == 1 and "no published version of model 'renewal_risk'" in missing.output

    trained = _invoke("train", *where, "--seed", "3", "--floor", "0")
    assert trained.exit_code == 0, trained.output
    test_auc = renewal_model.metrics[("ours", "test")].roc_auc
    assert f"{test_auc:.4f}" in trained.output and "version 1: published" in trained.output

    rejected = _invoke("train", *where, "--seed", "3", "--floor", f"{min(1.0, test_auc + 0.01):.4f}")
    assert rejected.exit_code == 1 and "version 2: rejected" in rejected.output

    scored = _invoke("score", *where)
    assert scored.exit_code == 0, scored.output
    assert "with renewal_risk version 1" in scored.output
    with Warehouse(company_copy.path).reader() as con:
        versions = con.execute("select distinct model_version from ml.renewal_risk_scores").fetchall()
        status = con.execute("select distinct model_version, model_status from ml.renewal_model_status").fetchall()
    assert versions == [(1,)] and status == [(1, "published")]

    evaluated = _invoke("evaluate", *where, "--seed", "3", "--ground-truth", str(company_copy.truth))
    assert evaluated.exit_code == 0, evaluated.output
    from ml.renewal import ceiling_auc

    ceiling = ceiling_auc(renewal_model, company_copy.truth)
    assert f"ceiling {ceiling:.4f}" in evaluated.output and f"gap to ceiling {ceiling - test_auc:+.4f}" in evaluated.output
    assert (f"train: {renewal_model.train_contracts} contracts renewing before {renewal_model.cutoff} "
            f"({renewal_model.train_rows} rows") in evaluated.output
    # the billing review queue's evaluation follows, with the errors only the model can see
    assert "Billing review queue as of 2026-10-31" in evaluated.output
    assert "| price_drift |" in evaluated.output and "| usage_spike |" in evaluated.output

    no_truth = _invoke("evaluate", *where, "--ground-truth", str(tmp_path / "nowhere"))
    assert no_truth.exit_code == 1
    assert no_truth.output.strip().count("\n") == 0 and "no ground-truth folder" in no_truth.output


def test_commands_fail_in_one_line_without_a_warehouse(tmp_path: Path) -> None:
    result = _invoke("train", "--warehouse", str(tmp_path / "none.duckdb"), "--as-of", "2026-10-31")
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: no published warehouse") and result.output.strip().count("\n") == 0
    bad_date = _invoke("train", "--as-of", "31/10/2026")
    assert bad_date.exit_code == 2
