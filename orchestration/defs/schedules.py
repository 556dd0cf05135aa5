"""The nightly refresh: every raw table (and, as they are added, everything built from it)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingestion import RAW_TABLES
from orchestration.defs.warehouse import DBT_MODELS

# What the nightly refresh materializes; a new domain adds its selection here in one line.
DAILY_REFRESH_SELECTION: dg.AssetSelection = RAW_TABLES | DBT_MODELS

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
