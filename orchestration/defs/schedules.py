"""The nightly refresh (every raw table and everything built from it, scores included) and the
weekly retraining of the renewal-risk model."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import ml
from orchestration.defs.ingestion import RAW_TABLES
from orchestration.defs.warehouse import DBT_MODELS

# What the nightly refresh materializes; a new domain adds its selection here in one line.
DAILY_REFRESH_SELECTION: dg.AssetSelection = RAW_TABLES | DBT_MODELS | ml.DAILY

daily_refresh_job = dg.define_asset_job(
    name="daily_refresh",
    selection=DAILY_REFRESH_SELECTION,
    description="Reload every source system and rebuild what depends on it.",
)

daily_refresh_schedule = dg.ScheduleDefinition(
    name="daily_refresh_0200",
    job=daily_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 UTC, after the source systems' nightly exports.",
)

weekly_training_job = dg.define_asset_job(
    name="weekly_model_training",
    selection=ml.WEEKLY,
    description="Retrain the renewal-risk model on the renewals decided so far; publish it only if "
                "it clears the AUC floor and the version in use.",
)

weekly_training_schedule = dg.ScheduleDefinition(
    name="weekly_model_training_mon_0300",
    job=weekly_training_job,
    cron_schedule="0 3 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Monday at 03:00 UTC, after the nightly refresh.",
)
