"""The model assets materialized in Dagster on a built company: tables, versions, checks, drift.

One run trains, publishes and scores; a second run with an impossible AUC floor must record a
rejected version, fail its floor check, and leave the scores on the published version. Figures
are checked against the warehouse's own tables (registry rows, the scores, the queue) and an
independent recomputation of the feature drift.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from ml_asset_runs import checks, materialize

from foundation.warehouse import Warehouse
from ml.drift import MAJOR_SHIFT, feature_psi
from ml.registry import load_model
from ml.renewal import MODEL_NAME
from orchestration.definitions import build_definitions
from orchestration.defs import ml as ml_defs
from orchestration.defs.schedules import DAILY_REFRESH_SELECTION, weekly_training_job

defs = build_definitions()


def test_lineage_and_schedules() -> None:
    graph = defs.resolve_asset_graph()
    features = graph.get(ml_defs.FEATURES_KEY)
    # read off the SQL: the features read the contracts and MRR marts
    assert {dg.AssetKey(["marts", "dim_contract"]), dg.AssetKey(["marts", "fct_mrr"])} <= features.parent_keys
    # the scores also write one model-status row per tenant of the tenant dimension
    assert graph.get(ml_defs.SCORES_KEY).parent_keys == {ml_defs.FEATURES_KEY, ml_defs.MODEL_KEY,
                                                          dg.AssetKey(["marts", "dim_tenant"])}
    assert dg.AssetKey(["marts", "fct_billing_exceptions"]) in graph.get(ml_defs.QUEUE_KEY).parent_keys
    daily = DAILY_REFRESH_SELECTION.resolve(graph)
    assert {ml_defs.FEATURES_KEY, ml_defs.SCORES_KEY, ml_defs.QUEUE_KEY} <= daily
    assert ml_defs.MODEL_KEY not in daily  # trained weekly, not nightly
    assert weekly_training_job.selection.resolve(graph) == {ml_defs.FEATURES_KEY, ml_defs.MODEL_KEY}


def test_train_publish_score_then_reject_a_worse_candidate(company_copy, env: Path) -> None:
    path = company_copy.path
    first = materialize(path, dg.AssetSelection.all(), floor=0.0)
    assert first.success
    evaluated = checks(first)
    assert evaluated["test_auc_above_floor"].passed and evaluated["test_auc_not_below_published"].passed
    assert evaluated["published_model"].passed

    with Warehouse(path).reader() as con:
        versions = con.execute(
            "select version, status, seed, training_data_hash from ml.model_versions").fetchall()
        test_auc = con.execute(
            "select roc_auc from ml.model_metrics where model = 'ours' and split = 'test'").fetchall()
        scores = con.execute("select * from marts.renewal_risk_scores").df()
        status = con.execute("select tenant_id, model_version, model_status, reason "
                             "from marts.renewal_model_status order by tenant_id").fetchall()
        tenants = con.execute("select tenant_id from marts.dim_tenant order by tenant_id").fetchall()
        features = con.execute("select * from ml.renewal_features").df()
        examples = con.execute("select * from ml.renewal_training_examples").df()
        flagged_lines = con.execute(
            "select count(distinct invoice_line_id) from marts.fct_billing_exceptions "
            "where invoice_line_id is not null").fetchall()[0][0]
        queued_lines = con.execute(
            "select count(distinct invoice_line_id) from marts.billing_review_queue "
            "where source in ('rule', 'both') and invoice_line_id in "
            "(select invoice_line_id from marts.fct_billing_exceptions)").fetchall()[0][0]
    assert [v[:3] for v in versions] == [(1, "published", 5)]
    model_meta = first.asset_materializations_for_node("ml__renewal_model")[0].metadata
    assert model_meta["test_roc_auc"].value == pytest.approx(test_auc[0][0])
    assert model_meta["training_data_hash"].value == versions[0][3]
    # each tenant's status row names the version that scored and why it was published
    assert status == [(tenant, 1, "published", model_meta["reason"].value) for (tenant,) in tenants]

    # every contract renewing within 180 days is scored, once, by version 1
    assert len(scores) == len(features) > 0
    assert set(scores["contract_id"]) == set(features["contract_id"])
    assert set(scores["model_version"]) == {1}
    assert scores["probability"].between(0, 1).all()
    # every invoice line a rule flags is in the queue as a rule item
    assert queued_lines == flagged_lines > 0

    # drift check = PSI recomputed from the stored training rows (renewals before the cutoff)
    model = load_model(MODEL_NAME, 1).model
    reference = examples[examples["renewal_date"].dt.date < model.cutoff]
    expected = feature_psi(reference, features, model.numeric, model.categorical)
    drift = checks(first)["feature_drift"]
    assert drift.metadata["psi"].value == {r.feature: round(float(r.psi), 4) for r in expected.itertuples()}
    assert drift.passed == bool((expected["psi"] <= MAJOR_SHIFT).all())

    second = materialize(path, dg.AssetSelection.all(), floor=0.999)
    evaluated = checks(second)
    assert second.success  # a failed check that does not block never fails the run
    assert not evaluated["test_auc_above_floor"].passed
    assert evaluated["test_auc_above_floor"].severity == dg.AssetCheckSeverity.ERROR
    assert evaluated["published_model"].passed  # version 1 still scores
    with Warehouse(path).reader() as con:
        versions = con.execute(
            "select version, status, training_data_hash from ml.model_versions order by version").fetchall()
        rescored = con.execute("select distinct model_version from marts.renewal_risk_scores").fetchall()
    # same data and seed: the same training data hash, and a rejected version 2
    assert [(v, s) for v, s, _ in versions] == [(1, "published"), (2, "rejected")]
    assert versions[0][2] == versions[1][2]
    assert rescored == [(1,)]  # the scores stay on the published version
