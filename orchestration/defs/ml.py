"""Model assets: renewal features -> renewal model (weekly) -> renewal risk scores (daily), and the
billing review queue (daily). The work itself is ``ml.pipeline``; here it becomes assets, checks
and metadata.

A trained candidate is always recorded as a new version, but only published when its test ROC
AUC clears the floor and the version in use (``ml.registry.publish_decision``); its two checks
show that decision as ERROR checks, and scoring keeps using the latest published version, so a
worse model never reaches the scores. Feature drift between a version's training rows and the
rows scored is a WARN check (population stability index per feature).

A small or young company may have too few decided renewals to train, or only rejected
candidates. Neither fails the run: the model asset records why it made no version (its checks
fail as WARN with that reason), and the scores asset writes no scores, says "no published
model: <why>" (the registry's reason) and fails its ``published_model`` WARN check. Non-blocking
checks never stop downstream assets, whatever their severity.

The features, labels and anomaly references are dbt models (``marts/ml``), so lineage
runs marts -> feature models -> features -> model -> scores, each edge named with
``get_asset_key_for_model``. The dbt assets come from the manifest, prepared when the
definitions are loaded, so these assets are built by ``ml_assets()`` then too, never on import;
the jobs select them by key (``DAILY``, ``WEEKLY``), which needs no manifest.
"""


from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import get_asset_key_for_model
from pydantic import Field

from foundation import settings
from ml import pipeline
from ml.billing_anomalies import LINE_REFERENCES_MODEL
from ml.drift import MAJOR_SHIFT
from ml.features import FEATURES_MODEL
from ml.registry import AUC_FLOOR
from ml.renewal import EXAMPLES_MODEL, MODEL_NAME
from ml.review_queue import RULES_MODEL
from ml.scoring import scoring_time
from orchestration.defs.warehouse import warehouse_models
from orchestration.lib.pools import WAREHOUSE_WRITER_POOL
from orchestration.lib.retries import TRANSIENT_RETRY, retry_transient_only
from orchestration.resources import WarehouseResource

ML_GROUP = "ml"

# Trained every Monday at 03:00 UTC (the weekly job); stale when a week has gone by.
WEEKLY_FRESHNESS = dg.FreshnessPolicy.cron(deadline_cron="0 5 * * 1", lower_bound_delta=timedelta(days=7))

FEATURES_KEY = dg.AssetKey(["ml", "renewal_features"])
MODEL_KEY = dg.AssetKey(["ml", "renewal_model"])
# The tables they write, in schema ml (declared to dbt as the source `ml` with these keys).
SCORES_KEY = dg.AssetKey(["ml", "renewal_risk_scores"])
QUEUE_KEY = dg.AssetKey(["ml", "billing_review_queue"])
# The tenants the model-status table has a row for.
TENANTS_MODEL = "dim_tenant"

DAILY = dg.AssetSelection.assets(FEATURES_KEY, SCORES_KEY, QUEUE_KEY)
WEEKLY = dg.AssetSelection.assets(FEATURES_KEY, MODEL_KEY)


def _ml_asset(**spec: Any) -> Callable[..., dg.AssetsDefinition]:
    """An asset of the ml group that writes the warehouse (writer pool, transient retries)."""
    return dg.asset(group_name=ML_GROUP, pool=WAREHOUSE_WRITER_POOL, retry_policy=TRANSIENT_RETRY, **spec)


def renewal_features(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    as_of = settings.as_of_date()
    with retry_transient_only("renewal_features"):
        refresh = pipeline.refresh_renewal_features(warehouse.get_warehouse(), as_of)
    context.log.info(f"renewal features as of {as_of}: {refresh.scoring_rows} contracts to score, "
                     f"{refresh.examples} training examples ({refresh.positives} churned or contracted)")
    return dg.MaterializeResult(metadata={
        "as_of": str(as_of),
        "contracts_within_180_days": refresh.scoring_rows,
        "contracts_within_90_days": refresh.within_90_days,
        "training_examples": refresh.examples,
        "training_positives": refresh.positives,
    })


class RenewalModelConfig(dg.Config):
    seed: int = Field(default=42, description="Random seed of the fit (same data and seed: same model).")
    auc_floor: float = Field(default=AUC_FLOOR, ge=0.0, le=1.0,
                             description="Least test ROC AUC a version needs to be published.")


def renewal_model(context: dg.AssetExecutionContext, config: RenewalModelConfig,
                  warehouse: WarehouseResource) -> Iterator[object]:
    as_of = settings.as_of_date()
    with retry_transient_only("renewal_model"):
        run = pipeline.train_and_register(warehouse.get_warehouse(), as_of, config.seed, config.auc_floor)
    if run.model is None or run.version is None:
        yield from _no_candidate(context, run.skipped_because)
        return
    model, version = run.model, run.version
    ours = model.metrics[("ours", "test")]
    baseline = model.metrics[("baseline", "test")]
    context.log.info(f"{MODEL_NAME} version {version.version}: {version.status} ({version.reason})")
    yield dg.MaterializeResult(metadata={
        "version": version.version,
        "status": version.status,
        "reason": version.reason,
        "test_roc_auc": ours.roc_auc,
        "test_pr_auc": ours.pr_auc,
        "test_brier": ours.brier,
        "test_top_decile_lift": ours.top_decile_lift,
        "baseline_test_roc_auc": baseline.roc_auc,
        "train_rows": model.train_rows,
        "test_rows": model.test_rows,
        "cutoff": str(model.cutoff),
        "seed": model.seed,
        "training_data_hash": model.data_hash,
        "features": dg.MetadataValue.json(list(model.features)),
        "calibration": dg.MetadataValue.md(_calibration_markdown(model.calibration.itertuples())),
        "artifact": dg.MetadataValue.path(str(version.artifact_dir)),
    })
    # A rejected candidate is an ERROR whether or not a version is published: it is not good
    # enough. What that means for the scores is the scores asset's own (WARN) check.
    below_floor = ours.roc_auc < config.auc_floor
    yield dg.AssetCheckResult(
        check_name="test_auc_above_floor", passed=not below_floor, severity=dg.AssetCheckSeverity.ERROR,
        description=f"version {version.version} {version.status}: {version.reason}",
        metadata={"test_roc_auc": ours.roc_auc, "floor": config.auc_floor})
    yield dg.AssetCheckResult(
        check_name="test_auc_not_below_published",
        # Under the floor the other check says why; this one judges only the comparison.
        passed=version.status == "published" or below_floor,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"test_roc_auc": ours.roc_auc, "decision": version.reason})


def _no_candidate(context: dg.AssetExecutionContext, reason: str) -> Iterator[object]:
    """No candidate to judge: the data is short, nothing is wrong, so both checks warn with why."""
    context.log.warning(f"{MODEL_NAME}: no version made: {reason}")
    yield dg.MaterializeResult(metadata={"status": "not trained", "reason": reason})
    for check in ("test_auc_above_floor", "test_auc_not_below_published"):
        yield dg.AssetCheckResult(
            check_name=check, passed=False, severity=dg.AssetCheckSeverity.WARN,
            description=f"no candidate trained: {reason}", metadata={"reason": reason})


def _calibration_markdown(rows: Iterable[object]) -> str:
    lines = ["| bin | rows | mean predicted | observed rate |", "|---|---|---|---|"]
    lines += [f"| {int(r.bin)} | {int(r.rows)} | {r.mean_predicted:.3f} | {r.observed_rate:.3f} |"
              for r in rows]
    return "\n".join(lines)


def renewal_risk_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[object]:
    with retry_transient_only("renewal_risk_scores"):
        run = pipeline.score_and_write(warehouse.get_warehouse(), scoring_time())
    if run.model is None:
        yield from _scored_nothing(context, run.status.reason)
        return
    bands = run.scores["risk_band"].value_counts()
    context.log.info(f"scored {len(run.scores)} contracts with {MODEL_NAME} version {run.model.version}")
    yield dg.MaterializeResult(metadata={
        "rows": len(run.scores),
        "model_version": run.model.version,
        **{f"{band}_risk": int(bands.get(band, 0)) for band in ("high", "medium", "low")},
    })
    shifted = run.drift[run.drift["psi"] > MAJOR_SHIFT]
    yield dg.AssetCheckResult(
        check_name="feature_drift",
        passed=shifted.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "features_shifted": dg.MetadataValue.json(shifted["feature"].tolist()),
            "psi": dg.MetadataValue.json({r.feature: round(float(r.psi), 4) for r in run.drift.itertuples()}),
        },
    )
    yield dg.AssetCheckResult(
        check_name="published_model", passed=True, severity=dg.AssetCheckSeverity.WARN,
        metadata={"model_version": run.model.version})


def _scored_nothing(context: dg.AssetExecutionContext, reason: str) -> Iterator[object]:
    """No published version: the scores are written empty and both checks say why."""
    unavailable = f"no published model: {reason}"
    context.log.warning(f"{MODEL_NAME}: {unavailable}")
    yield dg.MaterializeResult(metadata={"rows": 0, "model": unavailable})
    # Nothing was scored, so nothing drifted; the published_model check carries the warning.
    yield dg.AssetCheckResult(
        check_name="feature_drift", passed=True, severity=dg.AssetCheckSeverity.WARN,
        description=f"nothing scored: {unavailable}",
        metadata={"features_shifted": dg.MetadataValue.json([]), "psi": dg.MetadataValue.json({})})
    yield dg.AssetCheckResult(
        check_name="published_model", passed=False, severity=dg.AssetCheckSeverity.WARN,
        description=unavailable, metadata={"reason": reason})


def billing_review_queue(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    as_of = settings.as_of_date()
    with retry_transient_only("billing_review_queue"):
        queue = pipeline.refresh_review_queue(warehouse.get_warehouse(), as_of)
    sources = queue["source"].value_counts()
    context.log.info(f"billing review queue as of {as_of}: {len(queue)} items")
    return dg.MaterializeResult(metadata={
        "as_of": str(as_of),
        "items": len(queue),
        **{f"from_{source}": int(sources.get(source, 0)) for source in ("rule", "model", "both")},
    })


def _dbt_models(dbt: list[dg.AssetsDefinition], *models: str) -> list[dg.AssetKey]:
    return [get_asset_key_for_model(dbt, model) for model in models]


@cache
def ml_assets() -> list[dg.AssetsDefinition]:
    """The model assets, with their dbt upstreams read off the manifest (built once per process,
    when the definitions are loaded)."""
    dbt = [warehouse_models()]
    return [
        _ml_asset(
            key=FEATURES_KEY,
            kinds={"python", "duckdb"},
            description="Renewal-risk features of the contracts renewing within 180 days "
                        "(ml.renewal_features) and the decided renewals to train on (ml.renewal_training_examples), "
                        "as the dbt feature models computed them for this run.",
            deps=_dbt_models(dbt, FEATURES_MODEL, EXAMPLES_MODEL),
        )(renewal_features),
        _ml_asset(
            key=MODEL_KEY,
            kinds={"scikitlearn"},
            freshness_policy=WEEKLY_FRESHNESS,
            check_specs=[
                dg.AssetCheckSpec("test_auc_above_floor", asset=MODEL_KEY,
                                  description=f"The candidate's test ROC AUC is at least the floor ({AUC_FLOOR} unless "
                                              "configured; else it is not published)."),
                dg.AssetCheckSpec("test_auc_not_below_published", asset=MODEL_KEY,
                                  description="The candidate's test ROC AUC is not under the published version's "
                                              "(else it is not published)."),
            ],
            description="A renewal-risk model version trained on earlier renewals and tested on later ones; "
                        "published only when it clears the AUC floor and the version in use.",
            deps=[FEATURES_KEY],
        )(renewal_model),
        _ml_asset(
            key=SCORES_KEY,
            kinds={"python", "duckdb"},
            check_specs=[
                dg.AssetCheckSpec(
                    "feature_drift", asset=SCORES_KEY,
                    description=f"No feature's population stability index between the model's training rows and the "
                                f"rows scored is above {MAJOR_SHIFT}."),
                dg.AssetCheckSpec(
                    "published_model", asset=SCORES_KEY,
                    description="A published model version scored the renewals (else none is scored and the "
                                "registry's reason is shown)."),
            ],
            description="Probability that each contract renewing within 180 days churns or contracts at renewal, "
                        "with its risk band and main drivers, from the latest published model version; "
                        "ml.renewal_model_status says per tenant which version scored, or why none could.",
            deps=[FEATURES_KEY, MODEL_KEY, *_dbt_models(dbt, TENANTS_MODEL)],
        )(renewal_risk_scores),
        _ml_asset(
            key=QUEUE_KEY,
            kinds={"python", "duckdb"},
            description="One ranked billing review queue: the rule-based billing exceptions and the invoice "
                        "lines the anomaly model finds unusual, each with its reasons.",
            deps=_dbt_models(dbt, LINE_REFERENCES_MODEL, RULES_MODEL),
        )(billing_review_queue),
    ]
