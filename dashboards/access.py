"""The dashboards' only way to the data: read-only, on the published snapshot, tenant-scoped in SQL.

Pages write their SQL against ``{mart_name}`` placeholders, never against schema names. Each
placeholder becomes a sub-query on ``marts.<mart_name>`` filtered by ``tenant_id`` against a
bound list parameter holding the viewer's tenants (intersected with the tenants picked in the
filters). Values a user can type or pick only ever travel as bound parameters, so no filter,
URL parameter or text box can widen the scope. Consolidated marts (one row set across all
tenants) are served only to viewers scoped to every tenant. Page SQL is checked on DuckDB's
own parse tree (one SELECT reading placeholders, its own CTEs and generator functions only),
and the read connection has file access switched off.

The published snapshot is an immutable file the pipeline swaps atomically, so reading it never
blocks or sees a half-written build; a new connection is opened when a new snapshot appears.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pandas as pd

from ingestion.warehouse import Warehouse, WarehouseError

if TYPE_CHECKING:
    from ingestion.health import SourceHealth

Role = Literal["executive", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("executive", "analyst", "admin")

SCOPE_PARAM = "tenant_scope"
MAX_CHECKED_STATEMENTS = 1024
# Schemas pages may read, through placeholders only.
SCOPED_SCHEMAS = ("marts",)
# Tables without tenant rows that every viewer may read.
UNSCOPED_TABLES = frozenset({"dim_date"})
CONSOLIDATED_SUFFIX = "_consolidated"
# Table functions page SQL may use (they read no table or file).
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
_MART_TOKEN = "__opsintel_mart_"

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# A schema-qualified name in page SQL would bypass the scope: refuse it outright.
_QUALIFIED_NAME = re.compile(
    r"\b(raw|staging|intermediate|marts|quality|ml|main|information_schema|pg_catalog|temp)\"?\s*\.",
    re.IGNORECASE,
)
_TABLE_FUNCTIONS = re.compile(r"\b(read_\w+|glob|attach|copy|install|load|pragma|set|export|import)\b",
                              re.IGNORECASE)


class AccessDenied(PermissionError):
    """The viewer may not read what a query asks for."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a user name, a role and the tenants they may see (None: every tenant)."""

    username: str
    role: Role
    tenants: frozenset[str] | None

    @property
    def sees_all_tenants(self) -> bool:
        return self.tenants is None


class DataAccess:
    """Tenant-scoped queries on the latest published warehouse snapshot; safe across threads."""

    def __init__(self, warehouse: Warehouse | Path | str) -> None:
        self.warehouse = warehouse if isinstance(warehouse, Warehouse) else Warehouse(warehouse)
        self._lock = threading.Lock()
        self._snapshot: Path | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._tables: dict[str, frozenset[str]] = {}
        self._tenant_ids: list[str] = []
        # Page SQL texts that passed the parse-tree check; pages have a fixed set of them.
        self._plain_selects: set[str] = set()

    # -- snapshot ---------------------------------------------------------------------------

    @property
    def snapshot(self) -> Path:
        """The snapshot file queries read now (opening it on first use or after a publish)."""
        self._cursor().close()
        assert self._snapshot is not None
        return self._snapshot

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        current = self.warehouse.current_snapshot()
        if current is None:
            raise WarehouseError(
                f"no published warehouse at {self.warehouse.published_path}: "
                "run `make materialize` (or `opsintel load` and the dbt build) first"
            )
        with self._lock:
            if current != self._snapshot or self._connection is None:
                self._connection = self.warehouse.reader()
                # Page SQL never needs a file: no read_csv, attach or copy can get past this.
                self._connection.execute("set enable_external_access = false")
                self._snapshot = current
                self._tables = _mart_columns(self._connection)
                self._tenant_ids = [row[0] for row in self._connection.execute(
                    "select tenant_id from marts.dim_tenant order by tenant_id").fetchall()]
            # A cursor is a separate connection to the same database: one per query keeps
            # Streamlit's session threads from sharing result state.
            return self._connection.cursor()

    def tables(self) -> dict[str, frozenset[str]]:
        """Mart name -> its columns, in the current snapshot."""
        self._cursor().close()
        return dict(self._tables)

    def has_table(self, name: str) -> bool:
        return name in self.tables()

    def source_health(self, now: datetime | None = None) -> list[SourceHealth]:
        """Load and check metadata per source system (spans every tenant: a load does)."""
        from ingestion.health import source_health

        cursor = self._cursor()
        try:
            return source_health(cursor, now)
        finally:
            cursor.close()

    # -- scope ------------------------------------------------------------------------------

    def tenant_ids(self) -> list[str]:
        """Every tenant in the (current snapshot of the) warehouse, sorted."""
        self._cursor().close()
        return list(self._tenant_ids)

    def visible_tenants(self, viewer: Viewer) -> list[str]:
        """The tenants ``viewer`` may see, sorted."""
        every = self.tenant_ids()
        if viewer.sees_all_tenants:
            return every
        return [tenant for tenant in every if tenant in viewer.tenants]  # type: ignore[operator]

    def effective_tenants(self, viewer: Viewer, requested: Sequence[str] | None = None) -> list[str]:
        """The viewer's tenants narrowed to ``requested`` (unknown or foreign ids just drop out)."""
        visible = self.visible_tenants(viewer)
        if requested is None:
            return visible
        wanted = {str(tenant) for tenant in requested}
        return [tenant for tenant in visible if tenant in wanted]

    # -- queries ----------------------------------------------------------------------------

    def query(self, viewer: Viewer, sql: str, params: Mapping[str, Any] | None = None, *,
              tenants: Sequence[str] | None = None) -> pd.DataFrame:
        """Run page SQL with ``{mart}`` placeholders, scoped to the viewer's (picked) tenants."""
        params = dict(params or {})
        if SCOPE_PARAM in params:
            raise AccessDenied(f"the parameter name {SCOPE_PARAM!r} is reserved for the tenant scope")
        cursor = self._cursor()
        try:
            if sql not in self._plain_selects:  # the verdict depends on the text alone
                _require_plain_select(cursor, sql)
                with self._lock:
                    if len(self._plain_selects) >= MAX_CHECKED_STATEMENTS:
                        self._plain_selects.clear()
                    self._plain_selects.add(sql)
            scoped_sql = self._scoped_sql(viewer, sql, tenants)
            params[SCOPE_PARAM] = self.effective_tenants(viewer, tenants)
            used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", scoped_sql))
            return cursor.execute(scoped_sql, {k: v for k, v in params.items() if k in used}).df()
        finally:
            cursor.close()

    def _scoped_sql(self, viewer: Viewer, sql: str, tenants: Sequence[str] | None) -> str:
        if _QUALIFIED_NAME.search(sql) or _TABLE_FUNCTIONS.search(_PLACEHOLDER.sub("", sql)):
            raise AccessDenied("page SQL must read marts through {placeholders} only")
        if ";" in sql.rstrip().rstrip(";"):
            raise AccessDenied("page SQL must be a single statement")
        tables = self._tables

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in tables:
                raise AccessDenied(f"no mart named {name!r} in the published warehouse")
            if name in UNSCOPED_TABLES:
                return f"marts.{name}"
            if name.endswith(CONSOLIDATED_SUFFIX) or "tenant_id" not in tables[name]:
                if not viewer.sees_all_tenants or tenants is not None:
                    raise AccessDenied(f"{name} spans every tenant: only for viewers of all tenants")
                return f"marts.{name}"
            return (f"(select * from marts.{name} "
                    f"where tenant_id in (select unnest(${SCOPE_PARAM})))")

        return _PLACEHOLDER.sub(replace, sql)


def _require_plain_select(cursor: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT reading marts through {placeholders}, its own CTEs and
    harmless table functions, judged on DuckDB's own parse tree (quoting, comments and
    string tricks cannot hide a table from it)."""
    tokenised = _PLACEHOLDER.sub(lambda m: _MART_TOKEN + m.group(1), sql)
    tree = json.loads(cursor.execute("select json_serialize_sql($sql)", {"sql": tokenised}).fetchall()[0][0])
    if tree.get("error"):
        raise AccessDenied(f"page SQL must be a single SELECT statement ({tree.get('error_message')})")
    if len(tree["statements"]) != 1:
        raise AccessDenied("page SQL must be a single statement")
    nodes = list(_walk(tree["statements"]))
    cte_names = {entry["key"] for node in nodes if isinstance(node.get("cte_map"), dict)
                 for entry in node["cte_map"].get("map", [])}
    for node in nodes:
        if node.get("type") == "BASE_TABLE":
            name = node.get("table_name", "")
            if node.get("schema_name") or node.get("catalog_name") or not (
                    name.startswith(_MART_TOKEN) or name in cte_names):
                raise AccessDenied(f"page SQL must read marts through {{placeholders}} only, not {name!r}")
        elif node.get("type") == "SHOW_REF":
            raise AccessDenied("page SQL may not describe, summarize or show tables")
        elif node.get("type") == "TABLE_FUNCTION":
            function = node.get("function") or {}
            if function.get("function_name") not in ALLOWED_TABLE_FUNCTIONS:
                raise AccessDenied(f"page SQL may not call {function.get('function_name')!r}")


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a parse tree, depth first."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema in (select unnest($schemas))",
        {"schemas": list(SCOPED_SCHEMAS)},
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return {table: frozenset(names) for table, names in columns.items()}
