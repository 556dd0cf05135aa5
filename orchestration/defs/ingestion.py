"""Raw tables: one asset per table, one multi-asset per source system.

A source system's tables load in one atomic batch (a failed file stops the whole source), so
each source is a single op that materializes all of its tables and cannot be subset. Specs,
groups, descriptions, column schemas and lineage all come from the entity contracts in
``models/``: adding a contract adds an asset, with no code here.

The source's data-quality suites run in the same op right after the batch (``check_specs``),
so their results, which decide what the dbt build may rebuild, exist before the dbt step
starts: it depends on the raw tables this op outputs. Each raw table's freshness policy and
``export_fresh`` check follow its source's cadence in ``models/freshness.yml``.
"""

from collections.abc import Iterator

import dagster as dg

from foundation.warehouse import Warehouse, WarehouseError
from ingestion.loader import load_source
from ingestion.loader.results import SourceLoadResult, TableLoadResult
from ingestion.quality import run_source_checks
from models import LINEAGE_COLUMNS, Contract, contracts_by_source
from models.freshness import load_freshness_rules
from orchestration.defs.quality import check_results, quality_check_specs
from orchestration.lib.freshness import (
    freshness_check_results,
    freshness_check_specs,
    raw_freshness_policy,
)
from orchestration.lib.keys import RAW_SCHEMA, raw_asset_key
from orchestration.lib.pools import WAREHOUSE_WRITER_POOL
from orchestration.lib.retries import TRANSIENT_RETRY, retry_transient_only
from orchestration.resources import LandingResource, WarehouseResource
from reporting.freshness import source_freshness

__all__ = ["RAW_SCHEMA", "RAW_TABLES", "assets", "raw_asset_key"]

RAW_TABLES = dg.AssetSelection.key_prefixes(RAW_SCHEMA)
# Per-table figures of a load, reported as materialization metadata under these names.
ROW_COUNTS = ("rows_read", "rows_loaded", "rows_quarantined", "rows_inserted", "rows_updated")


def _column_schema(contract: Contract) -> dg.TableSchema:
    key = ", ".join(contract.primary_key)
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=f.name,
                type=f.sql_type,
                description=f.description,
                constraints=dg.TableColumnConstraints(
                    nullable=not f.required,
                    other=[f"one of {', '.join(f.allowed_values)}"] if f.allowed_values else [],
                ),
            )
            for f in contract.fields
        ]
        + [
            dg.TableColumn(
                name=name,
                type=ddl.removesuffix(" NOT NULL"),
                description="Load lineage, added by the loader.",
                constraints=dg.TableColumnConstraints(nullable=not ddl.endswith("NOT NULL")),
            )
            for name, ddl in LINEAGE_COLUMNS.items()
        ],
        constraints=dg.TableConstraints(other=[f"primary key ({key})"]),
    )


def raw_table_spec(contract: Contract) -> dg.AssetSpec:
    referenced = dict.fromkeys(
        fk.entity for fk in contract.foreign_keys if fk.entity != contract.name
    )
    return dg.AssetSpec(
        key=raw_asset_key(contract.name),
        group_name=contract.source,
        kinds={"duckdb"},
        description=contract.description,
        deps=[raw_asset_key(entity) for entity in referenced],
        freshness_policy=raw_freshness_policy(contract.source),
        metadata={
            "dagster/table_name": f"{RAW_SCHEMA}.{contract.name}",
            "dagster/column_schema": _column_schema(contract),
        },
    )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _row_counts(warehouse: Warehouse, entities: list[str]) -> dict[str, int]:
    """Rows in each raw table of the latest published snapshot (missing tables are left out)."""
    try:
        con = warehouse.reader()
    except WarehouseError:
        return {}
    try:
        existing = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [RAW_SCHEMA],
            ).fetchall()
        }
        # Identifiers cannot be bound; the names come from the contracts and are quoted.
        return {
            entity: con.execute(
                f"select count(*) from {_quoted(RAW_SCHEMA)}.{_quoted(entity)}"
            ).fetchall()[0][0]
            for entity in entities
            if entity in existing
        }
    finally:
        con.close()


def _table_metadata(
    result: SourceLoadResult, table: TableLoadResult | None, row_count: int | None
) -> dict[str, object]:
    table = table or TableLoadResult(entity="")
    files = table.files
    metadata: dict[str, object] = {
        "batch_id": result.batch_id,
        "outcome": result.outcome,
        **{count: getattr(table, count) for count in ROW_COUNTS},
        "files": dg.MetadataValue.json(
            [
                {
                    "path": f.path,
                    "sha256": f.sha256,
                    "rows_read": f.rows_read,
                    "rows_loaded": f.rows_loaded,
                    "rows_quarantined": f.rows_quarantined,
                }
                for f in files
            ]
        ),
    }
    if row_count is not None:
        metadata["dagster/row_count"] = row_count
    return metadata


def _load_and_check(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingResource,
    source: str,
    contracts: list[Contract],
    check_specs: list[dg.AssetCheckSpec],
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    result = load_source(
        warehouse.get_warehouse(), landing.get_path(), source, progress=context.log.info
    )
    if result.outcome == "failed":
        # Data problems do not heal on retry: fix the export and land it again.
        raise dg.Failure(
            description=result.message or f"loading {source} failed",
            metadata={"batch_id": result.batch_id},
            allow_retries=False,
        )
    if result.outcome == "no_files":
        context.log.warning(f"no {source} files in {landing.get_path()}: raw tables unchanged")
    entities = [c.name for c in contracts]
    counts = _row_counts(warehouse.get_warehouse(), entities)
    for entity in entities:
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(entity),
            metadata=_table_metadata(result, result.tables.get(entity), counts.get(entity)),
        )
    outcomes = run_source_checks(warehouse.get_warehouse(), source, batch_id=result.batch_id)
    yield from check_results(outcomes, check_specs, context.log.warning)
    with warehouse.get_warehouse().reader() as con:
        (freshness,) = source_freshness(con, rules={source: load_freshness_rules()[source]})
    yield from freshness_check_results(freshness, contracts)


def build_source_assets(
    source: str, contracts: list[Contract], retry_policy: dg.RetryPolicy = TRANSIENT_RETRY
) -> dg.AssetsDefinition:
    """The multi-asset that loads every raw table of one source system in one batch."""
    check_specs = quality_check_specs(source)
    name = f"load_{source}"

    @dg.multi_asset(
        name=name,
        specs=[raw_table_spec(c) for c in contracts],
        check_specs=[*check_specs, *freshness_check_specs(source, contracts)],
        can_subset=False,
        pool=WAREHOUSE_WRITER_POOL,
        retry_policy=retry_policy,
        description=f"Validate the {source} exports in the landing folder and load them into "
        f"{RAW_SCHEMA} in one atomic batch (rejected rows go to {RAW_SCHEMA}.quarantine), "
        "then run the source's data-quality checks.",
    )
    def _load(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        with retry_transient_only(name):
            yield from _load_and_check(context, warehouse, landing, source, contracts, check_specs)

    return _load


assets: list[dg.AssetsDefinition] = [
    build_source_assets(source, contracts)
    for source, contracts in contracts_by_source().items()
    if contracts
]
