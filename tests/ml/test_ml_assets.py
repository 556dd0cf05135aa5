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
import yaml
from ml_asset_runs import checks, materialize

from foundation.warehouse import Warehouse
from ml.drift import MAJOR_SHIFT, feature_psi
from ml.registry import load_model
from ml.renewal import MODEL_NAME
from ml.review_queue import QUEUE_TABLE
from ml.scoring import SCORES_TABLE, STATUS_TABLE
from orchestration.definitions import build_definitions
from orchestration.defs import ml as ml_defs
from orchestration.defs.schedules import DAILY_REFRESH_SELECTION, weekly_training_job

defs = build_definitions()
ML_SOURCES = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "ml" / "_ml__sources.yml"


def _keys(*names: str) -> set[dg.AssetKey]:
    return {dg.AssetKey(name.split("/")) for name in names}


def test_lineage_runs_marts_then_feature_models_then_model_then_scores() -> None:
    graph = defs.resolve_asset_graph()
    parents = {key: graph.get(key).parent_keys for key in ml_defs.DAILY.resolve(graph) | {ml_defs.MODEL_KEY}}
    # each model step reads the dbt models named here, and nothing else
    assert parents == {
        ml_defs.FEATURES_KEY: _keys("intermediate/int_renewal_features",
                                    "intermediate/int_renewal_training_examples"),
        ml_defs.MODEL_KEY: {ml_defs.FEATURES_KEY},
        # the scores also write one model-status row per tenant of the tenant dimension
        ml_defs.SCORES_KEY: {ml_defs.FEATURES_KEY, ml_defs.MODEL_KEY, *_keys("marts/dim_tenant")},
        ml_defs.QUEUE_KEY: _keys("intermediate/int_invoice_line_anomaly_features",
                                 "intermediate/int_billing_exceptions_to_review"),
    }
    # the feature models rest on the marts (and the staging models no mart publishes)
    snapshot_features = graph.get(dg.AssetKey(["intermediate", "int_renewal_snapshot_features"]))
    assert snapshot_features.parent_keys == _keys(
        "intermediate/int_renewal_snapshots", "marts/dim_contract", "marts/dim_customer",
        "marts/fct_billing_exceptions", "marts/fct_milestones", "marts/fct_mrr", "marts/fct_payments",
        "marts/fct_subscription_line_months", "marts/fct_support_tickets", "marts/fct_usage_daily",
        "staging/stg_billing__price_book_entries", "staging/stg_billing__subscription_line_items",
        "staging/stg_crm__contract_amendments")
    assert graph.get(dg.AssetKey(["intermediate", "int_renewal_features"])).parent_keys == _keys(
        "intermediate/int_renewal_snapshot_features")
    assert graph.get(dg.AssetKey(["intermediate", "int_renewal_training_examples"])).parent_keys == _keys(
        "intermediate/int_renewal_snapshot_features", "intermediate/int_renewal_outcomes")
    assert {"marts/fct_invoice_lines", "marts/fct_usage_daily", "intermediate/int_fx_rates_monthly"} <= {
        key.to_user_string() for key in graph.get(
            dg.AssetKey(["intermediate", "int_invoice_line_anomaly_features"])).parent_keys}
    # nothing is built from the scores or the queue: the dashboards read them in schema ml
    assert not graph.get(ml_defs.SCORES_KEY).child_keys and not graph.get(ml_defs.QUEUE_KEY).child_keys


def test_the_ml_sources_carry_the_keys_of_the_assets_that_write_them() -> None:
    sources = yaml.safe_load(ML_SOURCES.read_text())["sources"]
    [source] = sources
    assert (source["name"], source["schema"]) == ("ml", "ml")
    keys = {table["name"]: dg.AssetKey(table["meta"]["dagster"]["asset_key"]) for table in source["tables"]}
    assert keys == {"renewal_risk_scores": ml_defs.SCORES_KEY, "renewal_model_status": ml_defs.SCORES_KEY,
                    "billing_review_queue": ml_defs.QUEUE_KEY}
    assert set(keys.values()) <= set(defs.resolve_asset_graph().get_all_asset_keys())
    # the tables the steps write are the ones declared
    assert {SCORES_TABLE, STATUS_TABLE, QUEUE_TABLE} == {f"ml.{name}" for name in keys}


def test_schedules_select_the_model_steps_by_key() -> None:
    graph = defs.resolve_asset_graph()
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
        scores = con.execute("select * from ml.renewal_risk_scores").df()
        status = con.execute("select tenant_id, model_version, model_status, reason "
                             "from ml.renewal_model_status order by tenant_id").fetchall()
        tenants = con.execute("select tenant_id from marts.dim_tenant order by tenant_id").fetchall()
        features = con.execute("select * from ml.renewal_features").df()
        examples = con.execute("select * from ml.renewal_training_examples").df()
        flagged_lines = con.execute(
            "select count(distinct invoice_line_id) from marts.fct_billing_exceptions "
            "where invoice_line_id is not null").fetchall()[0][0]
        queued_lines = con.execute(
            "select count(distinct invoice_line_id) from ml.billing_review_queue "
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
        rescored = con.execute("select distinct model_version from ml.renewal_risk_scores").fetchall()
    # same data and seed: the same training data hash, and a rejected version 2
    assert [(v, s) for v, s, _ in versions] == [(1, "published"), (2, "rejected")]
    assert versions[0][2] == versions[1][2]
    assert rescored == [(1,)]  # the scores stay on the published version
