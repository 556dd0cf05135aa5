"""dbt models as assets: staging -> intermediate -> marts, dbt tests as asset checks.

dbt sources carry ``meta.dagster.asset_key`` = the raw table's asset key (written from the
contracts), so lineage runs from the ingestion assets through every model. dbt writes the
working warehouse file in its own process while this one holds the writer lock; a
successful build publishes a new snapshot for readers.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.defs.dbt_project import dbt_project
from orchestration.defs.ingestion import WAREHOUSE_WRITER_POOL
from orchestration.resources import WarehouseResource


class OpsintelDbtTranslator(DagsterDbtTranslator):
    """Groups follow the model's folder: staging, intermediate, or the mart's domain."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        folders = dbt_resource_props["fqn"][1:-1]  # project name first, model name last
        if not folders:
            return "warehouse"
        if folders[0] == "marts" and len(folders) > 1:
            return f"marts_{folders[1]}"
        return folders[0]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=OpsintelDbtTranslator(),
    pool=WAREHOUSE_WRITER_POOL,
)
def warehouse_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    with warehouse.get_warehouse().exclusive(), warehouse.dbt_environment():
        yield from dbt.cli(["build"], context=context).stream()


DBT_MODELS = dg.AssetSelection.assets(warehouse_models)
