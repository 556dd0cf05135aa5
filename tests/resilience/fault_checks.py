"""Compare warehouses row for row: raw tables and quarantine per source, marts, key uniqueness.

Every comparison attaches the files read-only to a fresh in-memory DuckDB and counts
``EXCEPT ALL`` both ways, so a lost row and a duplicated row are both seen. Raw rows are
compared on their contract fields (batch ids and load times differ between two loads).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from models import SOURCE_SYSTEMS, contracts_by_source

QUARANTINE_COLUMNS = ("source", "entity", "file", "row_number", "field", "reason", "record")


@dataclass(frozen=True)
class RowDiff:
    """Rows of the reference missing from the candidate, and candidate rows not in the reference."""

    lost: int = 0
    extra: int = 0

    def __add__(self, other: RowDiff) -> RowDiff:
        return RowDiff(self.lost + other.lost, self.extra + other.extra)

    @property
    def equal(self) -> bool:
        return self.lost == 0 and self.extra == 0


@contextmanager
def attached(**files: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with each file attached read-only under its keyword name."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        for alias, path in files.items():
            con.execute(f"attach '{path}' as {alias} (read_only)")
        yield con
    finally:
        con.close()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _diff(con: duckdb.DuckDBPyConnection, reference_sql: str, candidate_sql: str) -> RowDiff:
    lost, extra = con.execute(
        f"select (select count(*) from ({reference_sql} except all {candidate_sql})),"
        f"       (select count(*) from ({candidate_sql} except all {reference_sql}))"
    ).fetchall()[0]
    return RowDiff(lost, extra)


def _table_exists(con: duckdb.DuckDBPyConnection, alias: str, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [alias, schema, table],
    ).fetchall()[0][0])


def _raw_selects(con: duckdb.DuckDBPyConnection, alias: str, source: str) -> dict[str, str]:
    """SELECT of each raw table of ``source`` (contract fields) and of its quarantine rows."""
    selects: dict[str, str] = {}
    for contract in contracts_by_source()[source]:
        columns = ", ".join(_q(f.name) for f in contract.fields)
        if _table_exists(con, alias, "raw", contract.name):
            selects[contract.name] = f"select {columns} from {alias}.raw.{_q(contract.name)}"
        else:  # never loaded: an empty table of the same shape
            selects[contract.name] = f"select {columns} from {alias}.raw.{_q(contract.name)} where false"
    columns = ", ".join(QUARANTINE_COLUMNS)
    if _table_exists(con, alias, "raw", "quarantine"):
        selects["quarantine"] = f"select {columns} from {alias}.raw.quarantine where source = '{source}'"
    return selects


def source_diffs(candidate: Path, reference: Path) -> dict[str, RowDiff]:
    """Per source system: raw tables plus quarantine of ``candidate`` against ``reference``."""
    with attached(cand=candidate, ref=reference) as con:
        diffs: dict[str, RowDiff] = {}
        for source in SOURCE_SYSTEMS:
            ref_selects = _raw_selects(con, "ref", source)
            cand_selects = _raw_selects(con, "cand", source)
            total = RowDiff()
            for table, ref_sql in ref_selects.items():
                if table not in cand_selects:
                    raise AssertionError(f"{candidate}: raw.{table} is missing")
                total = total + _diff(con, ref_sql, cand_selects[table])
            diffs[source] = total
        return diffs


def source_fingerprints(database: Path) -> dict[str, tuple[tuple[int, int], ...]]:
    """Per source: (row count, sum of row hashes) of each raw table and of its quarantine rows.

    Cheap enough to run after every kill; two states with equal fingerprints hold the same
    rows (up to a 64-bit hash collision). Row-for-row checks use ``source_diffs``.
    """
    with attached(db=database) as con:
        fingerprints: dict[str, tuple[tuple[int, int], ...]] = {}
        for source in SOURCE_SYSTEMS:
            parts = []
            for table, sql in _raw_selects(con, "db", source).items():
                columns = QUARANTINE_COLUMNS if table == "quarantine" else [
                    f.name for c in contracts_by_source()[source] if c.name == table for f in c.fields]
                row_hash = f"hash({', '.join(_q(c) for c in columns)})"
                parts.append(con.execute(
                    f"select count(*), coalesce(sum({row_hash}::hugeint), 0) from ({sql})").fetchall()[0])
            fingerprints[source] = tuple(parts)
        return fingerprints


def source_versions(candidate: Path, references: dict[str, Path]) -> dict[str, str | None]:
    """Which reference each source's raw contents equal (None: none of them, a mix)."""
    found = source_fingerprints(candidate)
    expected = {label: _reference_fingerprints(path, path.stat().st_mtime_ns) for label, path in references.items()}
    return {
        source: next((label for label, prints in expected.items() if prints[source] == found[source]), None)
        for source in SOURCE_SYSTEMS
    }


@cache
def _reference_fingerprints(path: Path, _mtime_ns: int) -> dict[str, tuple[tuple[int, int], ...]]:
    return source_fingerprints(path)


def duplicate_keys(database: Path) -> dict[str, int]:
    """Per raw table: rows beyond one per primary key (0 everywhere in a sound warehouse)."""
    with attached(db=database) as con:
        counts: dict[str, int] = {}
        for contracts in contracts_by_source().values():
            for contract in contracts:
                if not _table_exists(con, "db", "raw", contract.name):
                    continue
                key = ", ".join(_q(k) for k in contract.primary_key)
                counts[contract.name] = con.execute(
                    f"select count(*) - count(distinct ({key})) from db.raw.{_q(contract.name)}"
                ).fetchall()[0][0]
        return counts


def schema_tables(database: Path, schema: str) -> list[str]:
    with attached(db=database) as con:
        return [row[0] for row in con.execute(
            "select table_name from duckdb_tables() where database_name = 'db' and schema_name = ? "
            "order by table_name", [schema]).fetchall()]


def schema_diffs(candidate: Path, reference: Path, schema: str) -> dict[str, RowDiff]:
    """Per table of ``schema`` in the reference: every column, row for row.

    DOUBLE columns are compared rounded to 9 decimals: DuckDB sums floating-point values in
    parallel, so two builds of the same data can differ in the last bits of such a sum.
    """
    tables = schema_tables(reference, schema)
    with attached(cand=candidate, ref=reference) as con:
        diffs = {}
        for table in tables:
            if not _table_exists(con, "cand", schema, table):
                count = con.execute(f"select count(*) from ref.{_q(schema)}.{_q(table)}").fetchall()[0][0]
                diffs[table] = RowDiff(lost=count)
                continue
            columns = ", ".join(
                f"round({_q(name)}, 9)" if data_type in ("DOUBLE", "FLOAT") else _q(name)
                for name, data_type in con.execute(
                    "select column_name, data_type from duckdb_columns() where database_name = 'ref' "
                    "and schema_name = ? and table_name = ? order by column_index", [schema, table]).fetchall())
            diffs[table] = _diff(con, f"select {columns} from ref.{_q(schema)}.{_q(table)}",
                                 f"select {columns} from cand.{_q(schema)}.{_q(table)}")
        return diffs
