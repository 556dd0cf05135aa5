"""Schema drift: an export whose columns or types no longer match its contract.

What each kind of drift does:

- a column (CSV header, JSON key, Parquet column) the contract does not know: ignored; rows
  keep loading and the column is recorded in ``raw.schema_drift`` with change 'added';
- an optional contract column the file lacks: loaded as empty, recorded with change 'missing';
- a required contract column the file lacks (also a renamed one): the source stops, naming the
  column and the columns found (see ``staging``);
- a changed type. Parquet: a column whose Arrow type cannot hold the contract type stops the
  source (see ``staging``). CSV and JSON lines carry text, so a type is judged from the values:
  a column in which every non-empty value fails the contract type, with at least
  ``CHANGED_TYPE_MIN_VALUES`` such values, has changed type and stops the source (naming the
  file, column, expected type and an example). Fewer values, or a mix of good and bad ones,
  are ordinary bad records: quarantined one by one.

``raw.schema_drift`` holds the drift of each file as last loaded: loading the same file again
adds nothing, and a re-export without the drift clears its rows (as with the quarantine).
Per file and kind of change it holds at most ``DRIFT_ROWS_PER_FILE`` columns by name (cut to a
safe length) plus one row ``(N more columns)`` for the rest: a file with 10,000 stray columns
is one problem, not 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from ingestion.loader.errors import SourceStopped
from ingestion.loader.messages import safe_name, safe_text
from ingestion.loader.staging import STAGED
from ingestion.loader.validation import type_violation
from models import Contract

CHANGED_TYPE_MIN_VALUES = 10
DRIFT_ROWS_PER_FILE = 100


def more_columns(count: int) -> str:
    """The ``column_name`` of the row standing for columns beyond ``DRIFT_ROWS_PER_FILE``."""
    return f"({count:,} more columns)"


@dataclass
class ColumnDrift:
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # optional contract columns only


def column_drift(contract: Contract, columns: list[str]) -> ColumnDrift:
    """How the file's columns differ from the contract (nothing known when it has no columns)."""
    if not columns:  # e.g. JSON lines without a single object: no evidence either way
        return ColumnDrift()
    return ColumnDrift(
        added=[c for c in columns if c not in contract.field_names],
        missing=[f.name for f in contract.fields if not f.required and f.name not in columns],
    )


def record_drift(
    con: duckdb.DuckDBPyConnection,
    drift: ColumnDrift,
    *,
    label: str,
    batch_id: str,
    source: str,
    entity: str,
    now: datetime,
) -> None:
    """Make the file's ``raw.schema_drift`` rows equal ``drift``, leaving unchanged rows alone."""
    con.execute("create or replace temp table __drift (column_name varchar, change varchar)")
    found = _bounded_rows(drift.added, "added") + _bounded_rows(drift.missing, "missing")
    if found:
        con.executemany("insert into __drift values (?, ?)", found)
    same = "d.file = ? and d.column_name = n.column_name and d.change = n.change"
    con.execute(
        f"delete from raw.schema_drift d where d.file = ? and not exists (select 1 from __drift n where {same})",
        [label, label],
    )
    con.execute(
        f"""insert into raw.schema_drift
            select ?, ?, ?, ?, n.column_name, n.change, ?
            from __drift n where not exists (select 1 from raw.schema_drift d where {same})""",
        [batch_id, source, entity, label, now, label],
    )


def _bounded_rows(columns: list[str], change: str) -> list[tuple[str, str]]:
    names = list(dict.fromkeys(safe_name(c) for c in columns))
    rows = [(name, change) for name in names[:DRIFT_ROWS_PER_FILE]]
    if len(names) > DRIFT_ROWS_PER_FILE:
        rows.append((more_columns(len(names) - DRIFT_ROWS_PER_FILE), change))
    return rows


def stop_on_changed_text_types(con: duckdb.DuckDBPyConnection, label: str, contract: Contract) -> None:
    """Stop the source when a CSV / JSON lines column's values all fail its type (see module doc)."""
    parsed = "__parse_error is null"
    selects = []
    for f in contract.fields:
        value = f'"{f.name}"'
        bad = f"{parsed} and {type_violation(f)}"
        selects.append(
            f"count(nullif(trim({value}), '')) filter (where {parsed}), "
            f"count(*) filter (where {bad}), "
            f"min(__row) filter (where {bad}), "
            f"arg_min(left({value}, 60), __row) filter (where {bad})"
        )
    counts = con.execute(f"select {', '.join(selects)} from {STAGED}").fetchall()[0]
    for i, f in enumerate(contract.fields):
        non_empty, failing, first_row, example = counts[4 * i: 4 * i + 4]
        if failing >= CHANGED_TYPE_MIN_VALUES and failing == non_empty:
            raise SourceStopped(
                f"{label}: column '{f.name}' looks like a changed type: expected {f.type}, but none "
                f"of its {failing:,} values is one (e.g. record {first_row}: '{safe_text(example, 60)}'); nothing loaded"
            )
