"""DDL of the ``raw`` schema: one table per contract plus the quarantine, load audit and schema drift."""

from __future__ import annotations

import duckdb

from models import LINEAGE_COLUMNS, Contract, load_contracts

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    batch_id varchar not null,
    source varchar not null,
    entity varchar not null,
    file varchar not null,
    row_number bigint not null,
    field varchar not null,
    reason varchar not null,
    record varchar,
    quarantined_at timestamp not null
)
"""

LOAD_AUDIT_DDL = """
create table if not exists raw.load_audit (
    batch_id varchar not null,
    source varchar not null,
    entity varchar,
    file varchar,
    file_sha256 varchar,
    file_bytes bigint,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    rows_inserted bigint not null,
    rows_updated bigint not null,
    started_at timestamp not null,
    finished_at timestamp not null,
    outcome varchar not null,
    message varchar
)
"""

# One row per file and column that differs from the contract; ``change`` is 'added' (a column
# the contract does not know: ignored) or 'missing' (an optional contract column the file lacks:
# loaded as empty). Missing required columns and changed types stop the load instead.
SCHEMA_DRIFT_DDL = """
create table if not exists raw.schema_drift (
    batch_id varchar not null,
    source varchar not null,
    entity varchar not null,
    file varchar not null,
    column_name varchar not null,
    change varchar not null,
    detected_at timestamp not null
)
"""


def raw_table_ddl(contract: Contract) -> str:
    columns = [
        f'"{f.name}" {f.sql_type}' + (" NOT NULL" if f.required else "") for f in contract.fields
    ] + [f"{name} {ddl}" for name, ddl in LINEAGE_COLUMNS.items()]
    return f'create table if not exists raw."{contract.name}" (\n    ' + ",\n    ".join(columns) + "\n)"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and every table that does not exist yet (idempotent)."""
    con.execute("create schema if not exists raw")
    for contract in load_contracts().values():
        con.execute(raw_table_ddl(contract))
    con.execute(QUARANTINE_DDL)
    con.execute(LOAD_AUDIT_DDL)
    con.execute(SCHEMA_DRIFT_DDL)
