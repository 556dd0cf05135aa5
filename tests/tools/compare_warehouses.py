"""Compare two built warehouses table by table, row for row.

    python tests/tools/compare_warehouses.py BEFORE.duckdb AFTER.duckdb

Used when code moves but no number should change: build the same sample company (same
generator seed and as-of date) with the code before and after, then compare. Every table and
view of the modelled schemas (staging, intermediate, marts, ml) must exist on both sides with
the same columns and types and the same multiset of rows.

Some values name the run or the checkout rather than the data, so they are normalised first:
load batch ids (``<source>-<UTC time>-<random>``, kept as ``<source>``), the wall-clock times
of a run (``_loaded_at``, ``scored_at``, ``trained_at``, ``attempted_at``: left out) and model
artifact paths (kept from ``artifacts/`` on). Floating-point columns are compared rounded to
12 significant digits: DuckDB sums doubles in parallel, so their last bits change from run to
run. Exits
0 when everything is identical, 1 with one line per difference otherwise.

A table that moved to another schema is compared with its new place (``MOVED``: the old name
-> the new one, listed once by name so no other difference hides behind a move) and reported
as ``old -> new`` rather than as one table only before and one only after.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

SCHEMAS = ("staging", "intermediate", "marts", "ml")
RUN_TIME_COLUMNS = frozenset({"_loaded_at", "scored_at", "trained_at", "attempted_at"})
BATCH_ID_COLUMNS = frozenset({"_batch_id", "_batch_ids"})
BATCH_ID = r"([a-z_]+)-\d{8}T\d{6}-[0-9a-f]{8}"
ARTIFACT_PATH_COLUMNS = frozenset({"artifact_path"})
FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT"})
SIGNIFICANT_DIGITS = 12
# Tables the model steps write after the dbt build: from the marts to their own schema ml,
# declared to dbt as the source `ml`.
MOVED = {
    "marts.renewal_risk_scores": "ml.renewal_risk_scores",
    "marts.renewal_model_status": "ml.renewal_model_status",
    "marts.billing_review_queue": "ml.billing_review_queue",
}


def relations(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple[str, str]]]:
    """``schema.table`` -> [(column, type)] for every table and view of the modelled schemas."""
    rows = con.execute(
        "select schema_name || '.' || table_name, column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name in (select unnest(?)) order by 1, column_index",
        [database, list(SCHEMAS)],
    ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for name, column, data_type in rows:
        found.setdefault(name, []).append((column, data_type))
    return found


def _comparable(database: str, name: str, columns: list[tuple[str, str]]) -> str:
    selected = []
    for column, data_type in columns:
        if column in RUN_TIME_COLUMNS:
            continue
        quoted = f'"{column}"'
        if column in BATCH_ID_COLUMNS:
            selected.append(f"regexp_replace({quoted}::varchar, '{BATCH_ID}', '\\1', 'g') as {quoted}")
        elif column in ARTIFACT_PATH_COLUMNS:
            selected.append(f"regexp_replace({quoted}, '^.*/(artifacts/)', '\\1') as {quoted}")
        elif data_type in FLOAT_TYPES:
            digits = f"{SIGNIFICANT_DIGITS - 1} - floor(log10(abs({quoted})))::int"
            selected.append(f"case when {quoted} = 0 or not isfinite({quoted}) then {quoted} "
                            f"else round({quoted}, {digits}) end as {quoted}")
        else:
            selected.append(quoted)
    schema, table = name.split(".")
    return f'select {", ".join(selected)} from {database}."{schema}"."{table}"'


def differences(before: Path, after: Path) -> tuple[list[str], int]:
    con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})
    con.execute(f"attach '{before}' as before_db (read_only)")
    con.execute(f"attach '{after}' as after_db (read_only)")
    before_names = relations(con, "before_db")
    # each relation of before under the name it has after: old name -> (new name, columns)
    old = {MOVED.get(name, name): (name, columns) for name, columns in before_names.items()}
    new = relations(con, "after_db")
    problems = [f"{old[name][0]}: only before" for name in sorted(old.keys() - new.keys())]
    problems += [f"{name}: only after" for name in sorted(new.keys() - old.keys())]
    for name in sorted(old.keys() & new.keys()):
        old_name, old_columns = old[name]
        label = name if old_name == name else f"{old_name} -> {name}"
        if old_columns != new[name]:
            problems.append(f"{label}: columns differ: {old_columns} vs {new[name]}")
            continue
        left = _comparable("before_db", old_name, old_columns)
        right = _comparable("after_db", name, new[name])
        missing, extra = con.execute(
            f"select (select count(*) from ({left} except all {right})), "
            f"(select count(*) from ({right} except all {left}))"
        ).fetchone()
        if missing or extra:
            problems.append(f"{label}: {missing} rows only before, {extra} rows only after")
    return problems, len(old.keys() & new.keys())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    before, after = (Path(arg) for arg in argv)
    for path in (before, after):
        if not path.is_file():
            print(f"error: {path} is not a file", file=sys.stderr)
            return 2
    problems, compared = differences(before, after)
    for problem in problems:
        print(problem)
    print(f"{compared} relations compared; {len(problems)} differ", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
