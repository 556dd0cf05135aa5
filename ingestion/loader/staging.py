"""Read one export file into a temporary DuckDB table of text columns, one row per record.

Every format lands in the same shape so one set of validation rules applies to all:
``__row`` (1-based record number: CSV record after the header, JSONL line, Parquet row),
``__record`` (the original record text, kept for quarantine), ``__parse_error`` (set when the
record itself could not be split into fields), one VARCHAR column per contract field and, for
JSON lines, ``__jt_<field>`` holding the JSON type of each value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ingestion.loader.discovery import file_format
from ingestion.loader.errors import SourceStopped
from models import Contract

STAGED = "__staged"


@dataclass
class StagedFile:
    rows_read: int
    extra_columns: list[str]


def json_type_column(field: str) -> str:
    return f"__jt_{field}"


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, label: str, contract: Contract) -> StagedFile:
    """Create temp table ``__staged`` from ``path``; ``label`` names the file in messages."""
    fmt = file_format(path)
    try:
        if fmt == "csv":
            table, extra = _read_csv(path, label, contract)
        elif fmt == "parquet":
            table, extra = _read_parquet(path, label, contract)
        else:
            return _stage_jsonl(con, path, label, contract)
    except OSError as exc:
        raise SourceStopped(f"{label}: cannot read file: {exc.strerror or exc}") from exc
    con.register("__arrow_staged", table)
    try:
        con.execute(f"create or replace temp table {STAGED} as select * from __arrow_staged order by __row")
    finally:
        con.unregister("__arrow_staged")
    return StagedFile(rows_read=table.num_rows, extra_columns=extra)


def _missing_required(label: str, contract: Contract, present: list[str]) -> None:
    for field in contract.required_fields:
        if field.name not in present:
            found = ", ".join(present[:12]) + (" ..." if len(present) > 12 else "")
            raise SourceStopped(
                f"{label}: required column '{field.name}' is missing (columns found: {found or 'none'})"
            )


def _text_columns(table: pa.Table, contract: Contract, rows: pa.Array) -> pa.Table:
    """Contract fields as strings (missing optional columns as nulls) plus bookkeeping columns."""
    n = table.num_rows
    columns: dict[str, pa.Array] = {"__row": rows, "__record": pa.nulls(n, pa.string()), "__parse_error": pa.nulls(n, pa.string())}
    for field in contract.fields:
        if field.name in table.column_names:
            columns[field.name] = pc.cast(table[field.name], pa.string())
        else:
            columns[field.name] = pa.nulls(n, pa.string())
        columns[json_type_column(field.name)] = pa.nulls(n, pa.string())
    return pa.table(columns)


def _read_csv(path: Path, label: str, contract: Contract) -> tuple[pa.Table, list[str]]:
    if path.stat().st_size == 0:
        raise SourceStopped(f"{label}: file is empty (no header row)")
    invalid: list[tuple[int, str, str]] = []

    def keep_invalid_row(row: pa_csv.InvalidRow) -> str:
        # Rows with the wrong number of fields are quarantined, not dropped.
        invalid.append((row.number - 1, row.text, f"record has {row.actual_columns} fields, header has {row.expected_columns}"))
        return "skip"

    try:
        table = pa_csv.read_csv(
            path,
            # Single-threaded so the reader reports record numbers for invalid rows.
            read_options=pa_csv.ReadOptions(use_threads=False, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=keep_invalid_row),
            convert_options=pa_csv.ConvertOptions(
                column_types={f.name: pa.string() for f in contract.fields},
                # Only an empty cell is null: Arrow's defaults would also turn "n/a", "NULL",
                # "nan" ... into nulls, silently.
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise SourceStopped(f"{label}: cannot parse CSV: {_first_line(exc)}") from exc
    present = table.column_names
    _missing_required(label, contract, present)
    total = table.num_rows + len(invalid)
    bad_rows = np.array([r for r, _, _ in invalid], dtype=np.int64)
    good_rows = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), bad_rows, assume_unique=True)
    staged = _text_columns(table, contract, pa.array(good_rows))
    if invalid:
        bad = pa.table({
            name: (
                pa.array(bad_rows) if name == "__row"
                else pa.array([t for _, t, _ in invalid], pa.string()) if name == "__record"
                else pa.array([r for _, _, r in invalid], pa.string()) if name == "__parse_error"
                else pa.nulls(len(invalid), pa.string())
            )
            for name in staged.column_names
        })
        staged = pa.concat_tables([staged, bad])
    extra = [c for c in present if c not in contract.field_names]
    return staged, extra


def _read_parquet(path: Path, label: str, contract: Contract) -> tuple[pa.Table, list[str]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise SourceStopped(f"{label}: cannot read Parquet file: {_first_line(exc)}") from exc
    present = table.column_names
    _missing_required(label, contract, present)
    for field in contract.fields:
        if field.name in present:
            found = table.schema.field(field.name).type
            if pa.types.is_nested(found) or pa.types.is_binary(found):
                raise SourceStopped(
                    f"{label}: column '{field.name}' has type {found}, expected {field.type}"
                )
    rows = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    extra = [c for c in present if c not in contract.field_names]
    return _text_columns(table, contract, rows), extra


def _stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path, label: str, contract: Contract) -> StagedFile:
    raw_lines = path.read_bytes().split(b"\n")
    numbered = [(i + 1, line.rstrip(b"\r")) for i, line in enumerate(raw_lines) if line.strip()]
    try:
        lines = pc.cast(pa.array([line for _, line in numbered], pa.binary()), pa.string())
    except pa.ArrowInvalid as exc:
        raise SourceStopped(f"{label}: file is not valid UTF-8 text") from exc
    rows = pa.array(np.array([n for n, _ in numbered], dtype=np.int64))
    con.register("__arrow_lines", pa.table({"__row": rows, "__line": lines}))
    try:
        fields_sql = ",\n".join(
            f"case when __ok then json_extract_string(__line, '$.\"{f.name}\"') end as \"{f.name}\", "
            f"case when __ok then json_type(__line, '$.\"{f.name}\"') end as \"{json_type_column(f.name)}\""
            for f in contract.fields
        )
        con.execute(f"""
            create or replace temp table {STAGED} as
            with kinds as (
                select __row, __line,
                       case when json_valid(__line) then json_type(__line) end as __kind
                from __arrow_lines
            ),
            parsed as (
                select __row, __line, coalesce(__kind = 'OBJECT', false) as __ok,
                       case when __kind is null then 'line is not valid JSON'
                            when __kind <> 'OBJECT' then 'line is not a JSON object' end as __parse_error
                from kinds
            )
            select __row, __line as __record, __parse_error, {fields_sql}
            from parsed order by __row
        """)
    finally:
        con.unregister("__arrow_lines")
    if numbered:
        counts = con.execute(
            "select " + ", ".join(f"count(\"{json_type_column(f.name)}\")" for f in contract.fields) + f" from {STAGED}"
        ).fetchall()[0]
        valid_objects = con.execute(f"select count(*) from {STAGED} where __parse_error is null").fetchall()[0][0]
        if valid_objects:
            present = [f.name for f, n in zip(contract.fields, counts) if n > 0]
            _missing_required(label, contract, present)
    return StagedFile(rows_read=len(numbered), extra_columns=[])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
