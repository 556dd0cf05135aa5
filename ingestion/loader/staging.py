"""Read one export file into a temporary DuckDB table of text columns, one row per record.

Every format lands in the same shape so one set of validation rules applies to all:
``__row`` (1-based record number: CSV record after the header, JSONL line, Parquet row),
``__record`` (the original record text, kept for quarantine), ``__parse_error`` (set when the
record itself could not be split into fields, or is a copy of the CSV header), one VARCHAR
column per contract field and, for JSON lines, ``__jt_<field>`` holding the JSON type of each
value.

The file as a whole stops its source (``SourceStopped``, one line naming the file) when it
cannot be taken apart safely: empty, not UTF-8, a column name twice in the header, a required
column missing, a Parquet column whose type cannot hold the contract type, a broken Parquet
file. A UTF-8 byte-order mark is dropped; CRLF line ends and quoted newlines are read as such.
A record longer than ``MAX_RECORD_BYTES`` is never held whole (see ``records``): it is staged
as a parse error with its length and first characters. Messages quote at most column names,
cut short (see ``messages``).
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

from ingestion.loader.encoding import not_utf8_error, raise_if_not_utf8, strip_bom
from ingestion.loader.errors import SourceStopped
from ingestion.loader.limits import MAX_RECORD_BYTES
from ingestion.loader.messages import error_text, safe_name, shown_names
from ingestion.loader.records import CsvRecordSplitter, LongRecord, read_json_lines
from models import Contract, Field

STAGED = "__staged"
REPEATED_HEADER = "record looks like a repeated header line (every value is its column's name)"
# Arrow parses a CSV in blocks and fails on a record longer than one block; a file with such a
# record (or one that may be over MAX_RECORD_BYTES) is split into records first (see records).
# Twice the record limit: every record within the limit fits, and Arrow's few blocks in memory
# stay small.
_CSV_BLOCK_BYTES = 2 * MAX_RECORD_BYTES
_CSV_HEADER_BLOCK_BYTES = 1 << 20


@dataclass
class StagedFile:
    rows_read: int
    columns: list[str]  # the file's own column names (JSON keys), in the order first seen


def json_type_column(field: str) -> str:
    return f"__jt_{field}"


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, label: str, contract: Contract,
               fmt: str) -> StagedFile:
    """Create temp table ``__staged`` from ``path`` in format ``fmt`` (csv, jsonl, parquet);
    ``label`` names the file in messages."""
    try:
        if fmt == "csv":
            table, columns = _read_csv(path, label, contract)
        elif fmt == "parquet":
            table, columns = _read_parquet(path, label, contract)
        else:
            return _stage_jsonl(con, path, label, contract)
    except OSError as exc:
        raise SourceStopped(f"{label}: cannot read file: {exc.strerror or exc}") from exc
    con.register("__arrow_staged", table)
    try:
        con.execute(f"create or replace temp table {STAGED} as select * from __arrow_staged order by __row")
    finally:
        con.unregister("__arrow_staged")
    return StagedFile(rows_read=table.num_rows, columns=columns)


def _missing_required(label: str, contract: Contract, present: list[str]) -> None:
    for field in contract.required_fields:
        if field.name not in present:
            found = shown_names(present, limit=12)
            unknown = [c for c in present if c not in contract.field_names]
            renamed = (
                "; not in the contract: " + shown_names(unknown, quoted=True, limit=5) + " (renamed?)"
                if unknown else ""
            )
            raise SourceStopped(
                f"{label}: required column '{field.name}' is missing (columns found: {found or 'none'}{renamed})"
            )


def _no_duplicate_columns(label: str, columns: list[str]) -> None:
    first_seen: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if name in first_seen:
            raise SourceStopped(
                f"{label}: column '{safe_name(name)}' appears twice in the header "
                f"(columns {first_seen[name]} and {position}); nothing loaded"
            )
        first_seen[name] = position


def _text_columns(
    table: pa.Table, contract: Contract, rows: pa.Array, parse_errors: pa.Array | None = None
) -> pa.Table:
    """Contract fields as strings (missing optional columns as nulls) plus bookkeeping columns."""
    n = table.num_rows
    columns: dict[str, pa.Array] = {
        "__row": rows,
        "__record": pa.nulls(n, pa.string()),
        "__parse_error": parse_errors if parse_errors is not None else pa.nulls(n, pa.string()),
    }
    for field in contract.fields:
        if field.name in table.column_names:
            columns[field.name] = pc.cast(table[field.name], pa.string())
        else:
            columns[field.name] = pa.nulls(n, pa.string())
        columns[json_type_column(field.name)] = pa.nulls(n, pa.string())
    return pa.table(columns)


def _repeated_header_errors(table: pa.Table, contract: Contract) -> pa.Array:
    """``REPEATED_HEADER`` for records whose every contract value is its own column name."""
    names = [f.name for f in contract.fields if f.name in table.column_names]
    is_header = pa.array(np.ones(table.num_rows, dtype=bool))
    for name in names:
        is_header = pc.and_(is_header, pc.fill_null(pc.equal(table[name], name), False))
    return pc.if_else(is_header, pa.scalar(REPEATED_HEADER), pa.scalar(None, pa.string()))


class _RecordOverBlock(Exception):
    """Arrow met a record longer than its parsing block."""


@dataclass
class _ParsedCsv:
    table: pa.Table  # the well-formed records
    invalid: list[tuple[int, str, str]]  # (record number, text, reason) of misshapen ones
    long: list[LongRecord]


def _csv_options(column_types: dict[str, pa.DataType], on_invalid: object) -> dict:
    return {
        "parse_options": pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        "convert_options": pa_csv.ConvertOptions(
            column_types=column_types,
            # Only an empty cell is null: Arrow's defaults would also turn "n/a", "NULL",
            # "nan" ... into nulls, silently.
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    }


def _csv_column_names(source: Path | pa.Buffer) -> list[str]:
    """The header's names, from Arrow's first block only (every column is then read as text)."""

    def first_block(block_bytes: int) -> pa_csv.CSVStreamingReader:
        return pa_csv.open_csv(
            source if isinstance(source, Path) else pa.BufferReader(source),
            read_options=pa_csv.ReadOptions(use_threads=False, block_size=block_bytes),
            **_csv_options({}, lambda _row: "skip"),
        )

    try:
        reader = first_block(_CSV_HEADER_BLOCK_BYTES)
    except pa.ArrowInvalid as exc:
        if "straddling object" not in str(exc):
            raise
        reader = first_block(_CSV_BLOCK_BYTES)  # a long header or first record
    names = reader.schema.names
    reader.close()
    return names


def _arrow_csv(source: Path | pa.Buffer, label: str, path: Path) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """Arrow's table of the good records plus (record number, text, reason) of the misshapen ones."""
    invalid: list[tuple[int, str, str]] = []

    def keep_invalid_row(row: pa_csv.InvalidRow) -> str:
        # Rows with the wrong number of fields are quarantined, not dropped.
        invalid.append((row.number - 1, row.text, f"record has {row.actual_columns} fields, header has {row.expected_columns}"))
        return "skip"

    while True:
        invalid.clear()
        try:
            names = _csv_column_names(source)
            table = pa_csv.read_csv(
                source if isinstance(source, Path) else pa.BufferReader(source),
                # Single-threaded so the reader reports record numbers for invalid rows.
                read_options=pa_csv.ReadOptions(use_threads=False, block_size=_CSV_BLOCK_BYTES),
                **_csv_options({name: pa.string() for name in names}, keep_invalid_row),
            )
            return table, invalid
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "straddling object" in text:
                raise _RecordOverBlock from exc
            if "Empty CSV file" in text and isinstance(source, Path):
                with open(path, "rb") as handle:  # Arrow found no line end within its first block
                    data = handle.read(_CSV_BLOCK_BYTES)
                if not strip_bom(data).strip():
                    raise SourceStopped(f"{label}: file is empty (no header row)") from exc
                if b"\n" not in data:  # a header without its line end
                    source = pa.py_buffer(data + b"\n")
                    continue
            if "invalid UTF8" in text:
                raise_if_not_utf8(label, path)
            raise SourceStopped(f"{label}: cannot parse CSV: {_first_line(exc)}") from exc


def _may_hold_long_records(table: pa.Table, invalid: list[tuple[int, str, str]]) -> bool:
    """Whether a record could be over MAX_RECORD_BYTES as written (values, quotes, commas)."""
    if any(len(text.encode()) > MAX_RECORD_BYTES for _, text, _ in invalid):
        return True
    if table.num_rows == 0:
        return False
    # A value takes at most twice its bytes when written (every character a doubled quote),
    # plus its two quotes and a comma.
    written = np.full(table.num_rows, 3 * table.num_columns, dtype=np.int64)
    for column in table.columns:
        written += 2 * pc.fill_null(pc.binary_length(column), 0).to_numpy(zero_copy_only=False)
    return bool(written.max() > MAX_RECORD_BYTES)


def _parse_csv(path: Path, label: str) -> _ParsedCsv:
    try:
        table, invalid = _arrow_csv(path, label, path)
        if not _may_hold_long_records(table, invalid):
            return _ParsedCsv(table, invalid, [])
    except _RecordOverBlock:
        pass
    return _parse_csv_without_long_records(path, label)


def _parse_csv_without_long_records(path: Path, label: str) -> _ParsedCsv:
    """Split off the records over the limit, then parse the others with their own record numbers."""
    splitter = CsvRecordSplitter.split(path, label)
    if not splitter.kept.strip():
        raise SourceStopped(f"{label}: file is empty (no header row)")
    try:
        table, invalid = _arrow_csv(pa.py_buffer(splitter.kept), label, path)
    except _RecordOverBlock as exc:  # cannot happen: every kept record is within the limit
        raise SourceStopped(f"{label}: cannot parse CSV: a record is longer than {_CSV_BLOCK_BYTES:,} bytes") from exc
    # The k-th record Arrow saw is the k-th record number that was not split off.
    total = table.num_rows + len(invalid) + len(splitter.long)
    long_numbers = np.array([r.number for r in splitter.long], dtype=np.int64)
    kept_numbers = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), long_numbers, assume_unique=True)
    invalid = [(int(kept_numbers[n - 1]), text, reason) for n, text, reason in invalid]
    return _ParsedCsv(table, invalid, splitter.long)


def _read_csv(path: Path, label: str, contract: Contract) -> tuple[pa.Table, list[str]]:
    if path.stat().st_size == 0:
        raise SourceStopped(f"{label}: file is empty (no header row)")
    parsed = _parse_csv(path, label)
    table = parsed.table
    present = table.column_names
    _no_duplicate_columns(label, present)
    _missing_required(label, contract, present)
    bad = parsed.invalid + [(r.number, r.prefix, r.reason("record")) for r in parsed.long]
    total = table.num_rows + len(bad)
    bad_rows = np.array([r for r, _, _ in bad], dtype=np.int64)
    good_rows = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), bad_rows, assume_unique=True)
    staged = _text_columns(table, contract, pa.array(good_rows), _repeated_header_errors(table, contract))
    if bad:
        bad_table = pa.table({
            name: (
                pa.array(bad_rows) if name == "__row"
                else pa.array([t for _, t, _ in bad], pa.string()) if name == "__record"
                else pa.array([r for _, _, r in bad], pa.string()) if name == "__parse_error"
                else pa.nulls(len(bad), pa.string())
            )
            for name in staged.column_names
        })
        staged = pa.concat_tables([staged, bad_table])
    return staged, present


def _arrow_type_fits(field: Field, found: pa.DataType) -> bool:
    """Whether every value of a Parquet column of type ``found`` can be read as the contract type.

    Values that fit the type but break a rule (too many digits, out of range) are quarantined
    per row later; a column of the wrong kind altogether stops the load.
    """
    t = pa.types
    if t.is_dictionary(found):
        found = found.value_type
    if t.is_null(found):  # a column with no values at all
        return True
    if field.type == "string":
        return t.is_string(found) or t.is_large_string(found) or t.is_string_view(found)
    if field.type.startswith("int"):
        return t.is_integer(found)
    if field.type.startswith("decimal"):
        return t.is_integer(found) or t.is_decimal(found)
    if field.type == "float64":
        return t.is_integer(found) or t.is_floating(found) or t.is_decimal(found)
    if field.type == "bool":
        return t.is_boolean(found)
    if field.type == "date":
        return t.is_date(found)
    if field.type == "timestamp":
        return t.is_timestamp(found)
    return False


def _read_parquet(path: Path, label: str, contract: Contract) -> tuple[pa.Table, list[str]]:
    try:
        # The schema (file footer) first: a drifted file stops before its data is read, and
        # Arrow cannot even read a file with a column name twice.
        schema = pq.read_schema(path)
        _check_parquet_schema(label, contract, schema)
        table = pq.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise SourceStopped(f"{label}: cannot read Parquet file: {_first_line(exc)}") from exc
    rows = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    return _text_columns(table, contract, rows), table.column_names


def _check_parquet_schema(label: str, contract: Contract, schema: pa.Schema) -> None:
    present = schema.names
    _no_duplicate_columns(label, present)
    _missing_required(label, contract, present)
    for field in contract.fields:
        if field.name in present:
            found = schema.field(field.name).type
            if not _arrow_type_fits(field, found):
                raise SourceStopped(
                    f"{label}: column '{field.name}' has type {found}, expected {field.type} "
                    "(changed type); nothing loaded"
                )


def _json_lines_table(path: Path, label: str) -> pa.Table:
    """``__row``, ``__line``, ``__too_long`` (the reason, for lines over the limit) of the non-blank lines."""
    read = read_json_lines(path, label)
    try:
        lines = pc.cast(pa.array(read.lines, pa.binary()), pa.string())
    except pa.ArrowInvalid as exc:
        errors = (not_utf8_error(label, line, number) for number, line in zip(read.numbers, read.lines))
        raise next((e for e in errors if e is not None), SourceStopped(f"{label}: file is not valid UTF-8 text")) from exc
    long_lines = pa.array([r.prefix for r in read.long], pa.string())
    return pa.table({
        "__row": pa.array(np.array(read.numbers + [r.number for r in read.long], dtype=np.int64)),
        "__line": pa.concat_arrays([lines, long_lines]),
        "__too_long": pa.concat_arrays([
            pa.nulls(len(read.lines), pa.string()), pa.array([r.reason("line") for r in read.long], pa.string())]),
    })


def _stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path, label: str, contract: Contract) -> StagedFile:
    table = _json_lines_table(path, label)
    con.register("__arrow_lines", table)
    try:
        fields_sql = ",\n".join(
            f"case when __ok then json_extract_string(__line, '$.\"{f.name}\"') end as \"{f.name}\", "
            f"case when __ok then json_type(__line, '$.\"{f.name}\"') end as \"{json_type_column(f.name)}\""
            for f in contract.fields
        )
        con.execute(f"""
            create or replace temp table {STAGED} as
            with kinds as (
                select __row, __line, __too_long,
                       case when __too_long is null and json_valid(__line) then json_type(__line) end as __kind
                from __arrow_lines
            ),
            parsed as (
                select __row, __line, coalesce(__kind = 'OBJECT', false) as __ok,
                       case when __too_long is not null then __too_long
                            when __kind is null then 'line is not valid JSON'
                            when __kind <> 'OBJECT' then 'line is not a JSON object' end as __parse_error
                from kinds
            )
            select __row, __line as __record, __parse_error, {fields_sql}
            from parsed order by __row
        """)
    finally:
        con.unregister("__arrow_lines")
    keys = _json_keys(con)
    objects = con.execute(f"select count(*) from {STAGED} where __parse_error is null").fetchall()[0][0]
    if objects:  # the keys of the file's JSON objects are its columns
        _missing_required(label, contract, keys)
    return StagedFile(rows_read=table.num_rows, columns=keys)


def _json_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every key of the file's JSON objects, in the order first seen (one pass per record shape)."""
    rows = con.execute(f"""
        with shapes as (
            select json_keys(__record) as keys, min(__row) as first_row
            from {STAGED} where __parse_error is null group by 1
        ),
        keyed as (
            select unnest(keys) as key, generate_subscripts(keys, 1) as position, first_row from shapes
        )
        select key from keyed group by key order by min([first_row, position]), key
    """).fetchall()
    return [key for (key,) in rows]


def _first_line(exc: Exception) -> str:
    return error_text(exc) or type(exc).__name__
