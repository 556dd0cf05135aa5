"""With no published renewal model the whole pipeline still completes, and says why.

A small company can leave the renewal model without a published version: its only candidate
is under the AUC floor, or too few renewals are decided to train at all. Either way the model
assets, the review queue and the run succeed; the scores are written empty (same columns and
types), one status row per tenant carries the registry's reason, the scores' ``published_model``
check fails as WARN with it, and the Renewals page shows it. Figures come from the registry
and training tables the run wrote, recomputed here.
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dbt_models import build_ml_models
from ml_asset_runs import checks, materialize
from streamlit.testing.v1 import AppTest

from dashboards.access import DataAccess, Viewer
from dashboards.context import CONTEXT_KEY, Filters, PageContext
from foundation.warehouse import Warehouse
from ml.pipeline import NOTHING_PUBLISHED
from ml.renewal import MIN_TEST_POSITIVES, MIN_TRAIN_POSITIVES, TEST_POSITIVE_SHARE

VIEWS = Path(__file__).resolve().parents[2] / "dashboards" / "views"
RENEWALS_PAGE = VIEWS / "renewals.py"
OVERVIEW_PAGE = VIEWS / "overview.py"
EXECUTIVE = Viewer("eve", "executive", frozenset({"TEN-001"}))
# The scores table's columns and warehouse types, whether it holds rows or none.
SCORE_TABLE_TYPES = [
    ("tenant_id", "VARCHAR"), ("contract_id", "VARCHAR"), ("customer_id", "VARCHAR"),
    ("renewal_date", "DATE"), ("days_to_renewal", "BIGINT"), ("within_90_days", "BOOLEAN"),
    ("within_180_days", "BOOLEAN"), ("contract_mrr", "DOUBLE"), ("probability", "DOUBLE"),
    ("risk_band", "VARCHAR"), ("drivers", "VARCHAR"), ("model_version", "BIGINT"), ("scored_at", "TIMESTAMP"),
]
# A company this young has decided only a few renewals (the fixture's has 240 by 2026-10-31).
YOUNG_AS_OF = date(2025, 1, 1)


def _rows(path: Path, sql: str) -> list[tuple]:
    with Warehouse(path).reader() as con:
        return con.execute(sql).fetchall()


def _renewals_page_info(path: Path) -> list[str]:
    """The info lines of the Renewals page for an executive of TEN-001, Markdown escapes undone."""
    app = AppTest.from_file(str(RENEWALS_PAGE), default_timeout=60)
    app.session_state[CONTEXT_KEY] = PageContext(EXECUTIVE, DataAccess(path),
                                                 Filters(date(2025, 11, 1), date(2026, 10, 1)))
    app.run()
    assert not app.exception and not app.error and not app.warning
    assert not app.dataframe and not app.metric  # no empty table or zero tiles beside the reason
    return [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", info.value) for info in app.info]


def _overview_contracts_at_risk(path: Path) -> str:
    """The Overview's "Contracts at risk" tile for an executive of TEN-001."""
    app = AppTest.from_file(str(OVERVIEW_PAGE), default_timeout=60)
    app.session_state[CONTEXT_KEY] = PageContext(EXECUTIVE, DataAccess(path),
                                                 Filters(date(2025, 11, 1), date(2026, 10, 1)))
    app.run()
    assert not app.exception and not app.error
    [tile] = [metric for metric in app.metric if metric.label == "Contracts at risk"]
    return tile.value


def _assert_scored_nothing(path: Path, result: dg.ExecuteInProcessResult, reason: str) -> None:
    """Empty scores with every column, a status row per tenant with ``reason``, a WARN check and
    the page saying so; the review queue built as ever."""
    published = checks(result)["published_model"]
    assert not published.passed and published.severity == dg.AssetCheckSeverity.WARN
    assert published.description == f"no published model: {reason}"
    assert published.metadata["reason"].value == reason
    scores_meta = result.asset_materializations_for_node("ml__renewal_risk_scores")[0].metadata
    assert scores_meta["rows"].value == 0 and scores_meta["model"].value == f"no published model: {reason}"

    assert _rows(path, "select count(*) from ml.renewal_risk_scores") == [(0,)]
    assert _rows(path, "select column_name, data_type from information_schema.columns where table_schema = 'ml' "
                       "and table_name = 'renewal_risk_scores' order by ordinal_position") == SCORE_TABLE_TYPES
    tenants = _rows(path, "select tenant_id from marts.dim_tenant order by tenant_id")
    status = _rows(path, "select tenant_id, model_version, model_status, reason from ml.renewal_model_status "
                         "order by tenant_id")
    assert status == [(tenant, None, "none", reason) for (tenant,) in tenants] and len(tenants) == 2
    assert _rows(path, "select count(*) > 0 from ml.billing_review_queue") == [(True,)]

    assert _renewals_page_info(path) == [f"No published renewal-risk model, so no contract is scored: {reason}"]
    # Not "0 at risk": nothing was scored.
    assert _overview_contracts_at_risk(path) == "n/a"


def test_a_candidate_under_the_floor_leaves_no_model_and_the_run_succeeds(company_copy, env: Path) -> None:
    path = company_copy.path
    result = materialize(path, dg.AssetSelection.all(), floor=0.999)
    assert result.success

    [(version, status, decision)] = _rows(path, "select version, status, reason from ml.model_versions")
    [(auc,)] = _rows(path, "select roc_auc from ml.model_metrics where model = 'ours' and split = 'test'")
    assert (version, status) == (1, "rejected") and auc < 0.999
    assert decision == f"test ROC AUC {auc:.4f} is under the floor 0.9990"
    # A trained candidate under the floor is an ERROR on the model; it blocks nothing.
    floor_check = checks(result)["test_auc_above_floor"]
    assert not floor_check.passed and floor_check.severity == dg.AssetCheckSeverity.ERROR
    assert floor_check.description == f"version 1 rejected: {decision}"
    _assert_scored_nothing(path, result, f"version 1 was rejected ({decision})")


def test_too_few_decided_renewals_train_nothing_and_the_run_succeeds(
        company_copy, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSINTEL_AS_OF_DATE", YOUNG_AS_OF.isoformat())
    path = company_copy.path
    build_ml_models(path, YOUNG_AS_OF)  # the dbt build as of that day, as the nightly job runs it
    Warehouse(path).publish()
    result = materialize(path, dg.AssetSelection.all(), floor=0.55)
    assert result.success

    # What the minimum needs, recomputed from the examples the run stored: MIN_TEST_POSITIVES
    # positive contracts (or TEST_POSITIVE_SHARE of them) to test and MIN_TRAIN_POSITIVES more to train.
    [(contracts, positives)] = _rows(path, """
        select count(*), sum(label) from (
            select distinct tenant_id, contract_id, label from ml.renewal_training_examples)""")
    assert 0 < positives < MIN_TEST_POSITIVES + MIN_TRAIN_POSITIVES
    needed = max(MIN_TEST_POSITIVES, math.ceil(TEST_POSITIVE_SHARE * positives))
    why = (f"too few decided renewals to split by time: {positives} positive(s) in {contracts} contract(s), "
           f"need {needed} to test and {MIN_TRAIN_POSITIVES} more to train")

    # training records why it made no version, and its checks warn (nothing to judge is no fault)
    assert _rows(path, "select count(*) from ml.model_versions") == [(0,)]
    assert _rows(path, "select model_name, as_of, seed, reason from ml.model_training_skips") == [
        ("renewal_risk", YOUNG_AS_OF, 5, why)]
    model_meta = result.asset_materializations_for_node("ml__renewal_model")[0].metadata
    assert (model_meta["status"].value, model_meta["reason"].value) == ("not trained", why)
    evaluated = checks(result)
    for name in ("test_auc_above_floor", "test_auc_not_below_published"):
        assert not evaluated[name].passed and evaluated[name].severity == dg.AssetCheckSeverity.WARN
        assert evaluated[name].description == f"no candidate trained: {why}"
    assert not (env / "models" / "renewal_risk").exists()  # no artifact either
    _assert_scored_nothing(path, result, f"training as of {YOUNG_AS_OF} made no version ({why})")


def test_scores_before_any_training_say_so_without_a_server_path(company_copy, env: Path) -> None:
    # The scores asset run before the model ever trained: the reason reaches every viewer of the
    # Renewals page, so it names what is missing, never where the artifacts live.
    path = company_copy.path
    result = materialize(path, dg.AssetSelection.all() - dg.AssetSelection.assets(dg.AssetKey(["ml", "renewal_model"])),
                         floor=None)
    assert result.success
    _assert_scored_nothing(path, result, NOTHING_PUBLISHED)
    assert str(env) not in NOTHING_PUBLISHED and "/" not in NOTHING_PUBLISHED
