"""The one ``Definitions`` of the project, assembled from the per-domain modules in ``defs/``.

Policies that hold for every asset are applied here, once, rather than in each domain.
"""

from datetime import timedelta
from functools import cache

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs import ingestion, ml, schedules, sensors, warehouse
from orchestration.defs.run_failures import build_run_failure_sensor
from orchestration.lib.dbt import dbt_project
from orchestration.resources import LandingResource, LogsResource, WarehouseResource

# The nightly refresh starts at 02:00 UTC: by 04:00 every asset should hold data loaded
# within the last day. An asset with its own policy keeps it (raw tables take their source's
# cadence from models/freshness.yml).
DAILY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 4 * * *", lower_bound_delta=timedelta(hours=24)
)


def _with_default_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    if spec.freshness_policy is not None:
        return spec
    return spec.replace_attributes(freshness_policy=DAILY_FRESHNESS)


@cache
def build_definitions() -> dg.Definitions:
    """The project's definitions, built once per process (tests call this directly)."""
    assets = dg.map_asset_specs(
        _with_default_freshness, [*ingestion.assets, warehouse.warehouse_models(), *ml.ml_assets()]
    )
    return dg.Definitions(
        assets=assets,
        # Every step writes the one DuckDB file, so the warehouse_writer pool runs them one at a
        # time anyway; running them in the run's own process saves a process start per step.
        executor=dg.in_process_executor,
        jobs=[schedules.daily_refresh_job, schedules.weekly_training_job],
        schedules=[schedules.daily_refresh_schedule, schedules.weekly_training_schedule],
        sensors=[
            sensors.landing_sensor,
            build_run_failure_sensor({a.op.name: list(a.keys) for a in assets}),
        ],
        resources={
            "warehouse": WarehouseResource.from_settings(),
            "landing": LandingResource.from_settings(),
            "logs": LogsResource.from_settings(),
            "dbt": DbtCliResource(project_dir=dbt_project()),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What ``dagster dev -m orchestration.definitions`` loads; nothing is built on import."""
    return build_definitions()
