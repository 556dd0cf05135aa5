"""Run a source's checks on the published warehouse, store the outcomes, build the Data Docs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import FileDataContext
from great_expectations.datasource.fluent import PandasDatasource

from foundation.settings import quality_docs_path
from foundation.warehouse import Warehouse
from ingestion.quality.docs import build_source_docs, forget_source_results
from ingestion.quality.frames import FrameError, read_frame
from ingestion.quality.gx_runtime import gx, quality_context
from ingestion.quality.outcomes import CheckOutcome, failed_to_run, outcome_from_result
from ingestion.quality.specs import CheckSpec
from ingestion.quality.store import latest_loaded_batch, store_outcomes
from ingestion.quality.suites import check_specs, frame_suites

_SAMPLE_SIZE = 5


def run_source_checks(warehouse: Warehouse, source: str, *, batch_id: str | None = None,
                      docs_dir: Path | None = None) -> list[CheckOutcome]:
    """Check ``source``'s raw tables in the latest published snapshot; one outcome per check.

    Every outcome is appended to ``quality.check_results`` (``batch_id`` defaults to the
    source's last successful load) and the Data Docs in ``docs_dir`` are rebuilt.
    """
    specs = check_specs(source)
    docs_dir = (docs_dir or quality_docs_path(warehouse.path)).resolve()
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    check_run_id = f"{source}-{checked_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    con = warehouse.reader()
    try:
        batch_id = batch_id or latest_loaded_batch(con, source)
        with quality_context(docs_dir) as context:
            forget_source_results(context, docs_dir, source)
            outcomes = _validate(context, con, source, specs)
            build_source_docs(context, docs_dir, source, sorted({s.suite_name for s in specs}))
    finally:
        con.close()
    with warehouse.writer() as write_con:
        store_outcomes(write_con, outcomes, check_run_id=check_run_id, batch_id=batch_id,
                       checked_at=checked_at)
    return outcomes


def _validate(context: FileDataContext, con: duckdb.DuckDBPyConnection, source: str,
              specs: list[CheckSpec]) -> list[CheckOutcome]:
    by_suite: dict[str, list[CheckSpec]] = defaultdict(list)
    for spec in specs:
        by_suite[spec.suite_name].append(spec)
    suites = frame_suites(specs)
    datasource = _datasource(context, f"raw_{source}")
    found: dict[tuple[str, str], CheckOutcome] = {}
    for suite_name, group in by_suite.items():
        try:
            frame = read_frame(con, group[0])
        except FrameError as exc:
            found.update({(s.entity, s.name): failed_to_run(s, str(exc)) for s in group})
            continue
        suite = context.suites.add_or_update(suites[suite_name])
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=_batch_definition(datasource, suite_name),
                                    suite=suite))
        id_columns = [c for c in group[0].example_columns if c in frame.columns]
        result = definition.run(batch_parameters={"dataframe": frame}, result_format={
            "result_format": "SUMMARY", "partial_unexpected_count": _SAMPLE_SIZE,
            "unexpected_index_column_names": id_columns})
        by_name = {r.expectation_config.meta["check_name"]: r for r in result.results}
        for spec in group:
            gx_result = by_name.get(spec.name)
            found[(spec.entity, spec.name)] = (
                outcome_from_result(spec, gx_result) if gx_result is not None
                else failed_to_run(spec, "GX returned no result for this expectation"))
    return [found[(s.entity, s.name)] for s in specs]


def _datasource(context: FileDataContext, name: str) -> PandasDatasource:
    try:
        return context.data_sources.get(name)
    except KeyError:
        return context.data_sources.add_pandas(name)


def _batch_definition(datasource: PandasDatasource, asset_name: str) -> BatchDefinition:
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole_frame")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole_frame")
