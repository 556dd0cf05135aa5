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
from ingestion.loader.encoding import not_utf8_error, raise_if_not_utf8, strip_bom
from ingestion.loader.errors import SourceStopped
from models import Contract, Field

STAGED = "__staged"
REPEATED_HEADER = "record looks like a repeated header line (every value is its column's name)"
# Arrow parses a CSV in blocks and fails on a record longer than one block; files with such a
# record are read again as a single block (records that long are then quarantined by length).
_CSV_BLOCK_BYTES = 1 << 24
_MAX_CSV_BLOCK_BYTES = (1 << 31) - 1


@dataclass
class StagedFile:
    rows_read: int
    columns: list[str]  # the file's own column names (JSON keys), in the order first seen


def json_type_column(field: str) -> str:
    return f"__jt_{field}"


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, label: str, contract: Contract) -> StagedFile:
    """Create temp table ``__staged`` from ``path``; ``label`` names the file in messages."""
    fmt = file_format(path)
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
            found = ", ".join(present[:12]) + (" ..." if len(present) > 12 else "")
            unknown = [c for c in present if c not in contract.field_names]
            renamed = (
                "; not in the contract: " + ", ".join(f"'{c}'" for c in unknown[:5])
                + (" ..." if len(unknown) > 5 else "") + " (renamed?)"
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
                f"{label}: column '{name}' appears twice in the header "
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


def _arrow_csv(source: Path | pa.BufferReader, contract: Contract, block_bytes: int,
               on_invalid: object) -> pa.Table:
    return pa_csv.read_csv(
        source,
        # Single-threaded so the reader reports record numbers for invalid rows.
        read_options=pa_csv.ReadOptions(use_threads=False, block_size=block_bytes),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pa_csv.ConvertOptions(
            column_types={f.name: pa.string() for f in contract.fields},
            # Only an empty cell is null: Arrow's defaults would also turn "n/a", "NULL",
            # "nan" ... into nulls, silently.
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def _parse_csv(path: Path, label: str, contract: Contract) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """Arrow's table of the good records plus (record number, text, reason) of the misshapen ones."""
    invalid: list[tuple[int, str, str]] = []

    def keep_invalid_row(row: pa_csv.InvalidRow) -> str:
        # Rows with the wrong number of fields are quarantined, not dropped.
        invalid.append((row.number - 1, row.text, f"record has {row.actual_columns} fields, header has {row.expected_columns}"))
        return "skip"

    size = path.stat().st_size
    source: Path | pa.BufferReader = path
    block_bytes = _CSV_BLOCK_BYTES
    while True:
        invalid.clear()
        try:
            return _arrow_csv(source, contract, block_bytes, keep_invalid_row), invalid
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "straddling object" in text and block_bytes < min(size + 1, _MAX_CSV_BLOCK_BYTES):
                block_bytes = min(size + 1, _MAX_CSV_BLOCK_BYTES)
                continue
            if "Empty CSV file" in text and isinstance(source, Path):
                data = path.read_bytes()
                if not strip_bom(data).strip():
                    raise SourceStopped(f"{label}: file is empty (no header row)") from exc
                if b"\n" not in data:  # a header without its line end
                    source = pa.BufferReader(data + b"\n")
                    continue
            if "invalid UTF8" in text:
                raise_if_not_utf8(label, path)
            raise SourceStopped(f"{label}: cannot parse CSV: {_first_line(exc)}") from exc


def _read_csv(path: Path, label: str, contract: Contract) -> tuple[pa.Table, list[str]]:
    if path.stat().st_size == 0:
        raise SourceStopped(f"{label}: file is empty (no header row)")
    table, invalid = _parse_csv(path, label, contract)
    present = table.column_names
    _no_duplicate_columns(label, present)
    _missing_required(label, contract, present)
    total = table.num_rows + len(invalid)
    bad_rows = np.array([r for r, _, _ in invalid], dtype=np.int64)
    good_rows = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), bad_rows, assume_unique=True)
    staged = _text_columns(table, contract, pa.array(good_rows), _repeated_header_errors(table, contract))
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


def _stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path, label: str, contract: Contract) -> StagedFile:
    data = strip_bom(path.read_bytes())
    raw_lines = data.split(b"\n")
    numbered = [(i + 1, line.rstrip(b"\r")) for i, line in enumerate(raw_lines) if line.strip()]
    try:
        lines = pc.cast(pa.array([line for _, line in numbered], pa.binary()), pa.string())
    except pa.ArrowInvalid as exc:
        # Line numbers count from the first line, so the mark's bytes do not shift them.
        error = not_utf8_error(label, data) or SourceStopped(f"{label}: file is not valid UTF-8 text")
        raise error from exc
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
    keys = _json_keys(con)
    objects = con.execute(f"select count(*) from {STAGED} where __parse_error is null").fetchall()[0][0]
    if objects:  # the keys of the file's JSON objects are its columns
        _missing_required(label, contract, keys)
    return StagedFile(rows_read=len(numbered), columns=keys)


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
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
