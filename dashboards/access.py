"""The dashboards' only way to the data: read-only, on the published snapshot, tenant-scoped in SQL.

Pages write their SQL against ``{mart_name}`` placeholders, never against schema names. Each
placeholder becomes a sub-query on ``marts.<mart_name>`` (or, for the model outputs in
``MODEL_TABLES``, ``ml.<name>``) filtered by ``tenant_id`` against a
bound list parameter holding the viewer's tenants (intersected with the tenants picked in the
filters). Values a user can type or pick only ever travel as bound parameters, so no filter,
URL parameter or text box can widen the scope. Consolidated marts (one row set across all
tenants) are served only to viewers scoped to every tenant. Page SQL is checked on DuckDB's
own parse tree (one SELECT reading placeholders, the CTEs in scope where each name is used and
generator functions only; no recursive CTEs, no functions reading settings or the catalog), and
the read connection has file access switched off. Every read runs under a time limit and the
connection under a memory limit (``$OPSINTEL_DASHBOARD_QUERY_TIMEOUT``,
``$OPSINTEL_DASHBOARD_MEMORY_LIMIT``); any failure ends in one line, never a DuckDB exception.

The published snapshot is an immutable file the pipeline swaps atomically, so reading it never
blocks or sees a half-written build; a new connection is opened when a new snapshot appears.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pandas as pd

from foundation.settings import ReadLimits, read_limits
from foundation.warehouse import Warehouse, WarehouseError

if TYPE_CHECKING:
    from reporting.health import SourceHealth

Role = Literal["executive", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("executive", "analyst", "admin")

SCOPE_PARAM = "tenant_scope"
MAX_CHECKED_STATEMENTS = 1024
# Schemas pages may read, through placeholders only.
MARTS_SCHEMA = "marts"
MODEL_SCHEMA = "ml"
# The only tables of the ml schema pages may read: what the model steps write after each dbt
# build (declared to dbt as the source `ml`). Read in place, not through a mart, so a page shows
# each scoring run as soon as it is published, never the scores of the build before.
MODEL_TABLES = frozenset({"renewal_risk_scores", "renewal_model_status", "billing_review_queue"})
# Tables without tenant rows that every viewer may read.
UNSCOPED_TABLES = frozenset({"dim_date"})
CONSOLIDATED_SUFFIX = "_consolidated"
# Table functions page SQL may use (they read no table or file).
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# Scalar and aggregate functions page SQL may call: an allow-list, because DuckDB has functions
# that read settings, variables, the catalog or plan any SQL text given to them
# (current_setting, json_serialize_plan, ...), and a new release may add more.
ALLOWED_FUNCTIONS = frozenset({
    # operators DuckDB's parse tree writes as functions
    "+", "-", "*", "/", "//", "%", "^", "**", "||", "~~", "!~~", "~~*", "!~~*",
    # aggregates
    "sum", "count", "count_star", "avg", "mean", "min", "max", "median", "mode", "any_value",
    "first", "last", "arg_min", "arg_max", "bool_and", "bool_or", "string_agg", "list",
    "quantile_cont", "quantile_disc", "stddev", "stddev_samp", "stddev_pop", "variance",
    "var_samp", "var_pop", "sumkahan", "fsum", "product",
    # numbers
    "abs", "round", "floor", "ceil", "ceiling", "trunc", "sign", "sqrt", "power", "pow", "ln",
    "log", "log10", "log2", "exp", "greatest", "least", "nullif", "isnan", "isfinite", "isinf",
    # dates and times
    "date_trunc", "datetrunc", "date_diff", "datediff", "date_sub", "datesub", "date_part",
    "datepart", "date_add", "extract", "year", "quarter", "month", "week", "day", "dayofweek",
    "isodow", "dayofmonth", "dayofyear", "last_day", "make_date", "strftime", "monthname",
    "dayname", "to_days", "to_months", "to_years", "to_weeks", "age", "epoch",
    # text
    "lower", "upper", "lcase", "ucase", "length", "len", "concat", "concat_ws", "substring",
    "substr", "trim", "ltrim", "rtrim", "replace", "left", "right", "lpad", "rpad",
    "starts_with", "ends_with", "contains", "prefix", "suffix", "split_part", "strpos",
    "position", "instr", "format", "printf", "regexp_matches", "regexp_replace",
    "regexp_extract",
    # lists and structs
    "list_value", "list_contains", "list_has", "array_length", "list_sum", "list_sort",
    "struct_pack",
    # conditions
    "if", "ifnull", "coalesce", "error",
})
# Table references page SQL may contain; anything else (SHOW, PIVOT, ...) is refused.
_ALLOWED_TABLE_REFS = frozenset({"BASE_TABLE", "JOIN", "SUBQUERY", "TABLE_FUNCTION",
                                 "EXPRESSION_LIST", "EMPTY"})

_MAX_MESSAGE_CHARS = 300
# Absolute file paths in DuckDB messages (not URLs): a page never shows where files live.
_FILE_PATH = re.compile(r"(?<![:/\w])/(?:[^\s'\"/]+/)+[^\s'\",;)]*")
_MART_TOKEN = "__opsintel_mart_"

# A placeholder stands alone: "{dim_date}_secret" is no placeholder (it would name another mart).
_PLACEHOLDER = re.compile(r"(?<!\w)\{([a-z_][a-z0-9_]*)\}(?!\w)")
# A schema-qualified name in page SQL would bypass the scope: refuse it outright.
_QUALIFIED_NAME = re.compile(
    r"\b(raw|staging|intermediate|marts|quality|ml|main|information_schema|pg_catalog|temp)\"?\s*\.",
    re.IGNORECASE,
)
_TABLE_FUNCTIONS = re.compile(r"\b(read_\w+|glob|attach|copy|install|load|pragma|set|export|import)\b",
                              re.IGNORECASE)


class AccessDenied(PermissionError):
    """The viewer may not read what a query asks for."""


class QueryFailed(ValueError):
    """Page SQL could not run (a mistake in it, or a limit it hit); the message is one line."""


class QueryTimedOut(QueryFailed):
    """Page SQL ran longer than the time limit of dashboard reads and was stopped."""


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

    def __init__(self, warehouse: Warehouse | Path | str, limits: ReadLimits | None = None) -> None:
        """``limits`` default to the environment's (``read_limits()``), read when a snapshot opens."""
        self.warehouse = warehouse if isinstance(warehouse, Warehouse) else Warehouse(warehouse)
        self._configured_limits = limits
        self._limits = limits or ReadLimits()
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
                self._connection = self._open_reader()
                self._snapshot = current
                self._tables = _mart_columns(self._connection)
                self._tenant_ids = [row[0] for row in self._connection.execute(
                    "select tenant_id from marts.dim_tenant order by tenant_id").fetchall()]
            # A cursor is a separate connection to the same database: one per query keeps
            # Streamlit's session threads from sharing result state.
            return self._connection.cursor()

    def _open_reader(self) -> duckdb.DuckDBPyConnection:
        try:
            limits = self._configured_limits or read_limits()
        except ValueError as exc:
            raise WarehouseError(f"cannot read the warehouse: {exc}") from None
        connection = self.warehouse.reader()
        try:
            _restrict(connection, limits)
        except duckdb.Error as exc:
            connection.close()
            raise WarehouseError(f"cannot set up the warehouse reader: {_one_line(str(exc))}") from exc
        self._limits = limits
        return connection

    @property
    def limits(self) -> ReadLimits:
        """The limits reads of the current snapshot run under."""
        self._cursor().close()
        return self._limits

    def tables(self) -> dict[str, frozenset[str]]:
        """Mart name -> its columns, in the current snapshot."""
        self._cursor().close()
        return dict(self._tables)

    def has_table(self, name: str) -> bool:
        return name in self.tables()

    def source_health(self, now: datetime | None = None) -> list[SourceHealth]:
        """Load and check metadata per source system (spans every tenant: a load does)."""
        from reporting.health import source_health

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
            return _run_limited(cursor, scoped_sql, {k: v for k, v in params.items() if k in used},
                                self._limits)
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
            table = _qualified(name)
            if name in UNSCOPED_TABLES:
                return table
            if name.endswith(CONSOLIDATED_SUFFIX) or "tenant_id" not in tables[name]:
                if not viewer.sees_all_tenants or tenants is not None:
                    raise AccessDenied(f"{name} spans every tenant: only for viewers of all tenants")
                return table
            return (f"(select * from {table} "
                    f"where tenant_id in (select unnest(${SCOPE_PARAM})))")

        return _PLACEHOLDER.sub(replace, sql)


def _restrict(connection: duckdb.DuckDBPyConnection, limits: ReadLimits) -> None:
    """Settings of the read connection (the whole snapshot database) before any page SQL runs."""
    connection.execute(f"set memory_limit = '{limits.memory_limit.strip()}'")
    # No spilling: reads of pre-aggregated marts fit in memory, and spill files would land
    # beside the published snapshots; a query over the limit fails instead. A second reader of
    # the same snapshot in this process shares the database, where external access is off
    # already and the directory may no longer change.
    if connection.execute("select current_setting('temp_directory')").fetchall()[0][0]:
        connection.execute("set temp_directory = ''")
    # Table names never resolve to Python variables of the app (DuckDB's replacement scans);
    # global, so the per-query cursors have it too.
    connection.execute("set global python_enable_replacements = false")
    # Page SQL never needs a file: no read_csv, attach or copy can get past this.
    connection.execute("set enable_external_access = false")


def _run_limited(cursor: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any],
                 limits: ReadLimits) -> pd.DataFrame:
    """Run checked, scoped SQL on ``cursor``, interrupted once it runs past the time limit;
    any DuckDB error becomes one line."""
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        with contextlib.suppress(duckdb.Error):  # the query may have just ended and closed
            cursor.interrupt()

    timer = threading.Timer(limits.timeout_s, stop)
    timer.daemon = True
    timer.start()
    # At most one row past the limit reaches pandas; the newline keeps a trailing comment inert.
    capped = f"select * from (\n{sql.rstrip().rstrip(';')}\n) limit {limits.max_rows + 1}"
    try:
        frame = cursor.execute(capped, params).df()
    except duckdb.Error as exc:
        if timed_out.is_set():
            raise QueryTimedOut(f"the query ran longer than the {limits.timeout_s:g} s allowed "
                                "for dashboard reads and was stopped") from exc
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise QueryFailed(f"the query needs more memory than the {limits.memory_limit} allowed "
                              "for dashboard reads") from exc
        raise QueryFailed(f"the query failed: {_one_line(str(exc))}") from exc
    finally:
        timer.cancel()
    if len(frame) > limits.max_rows:
        raise QueryFailed(f"the query returns more than {limits.max_rows:,} rows, the most a dashboard "
                          "read may return: narrow the filters")
    return frame


def _one_line(message: str) -> str:
    """DuckDB's message for a page: its first line, placeholders as written, no file paths."""
    text = message.strip()
    line = text.splitlines()[0] if text else "unknown error"
    line = re.sub(re.escape(_MART_TOKEN) + r"(\w+)", r"{\1}", line)
    line = _FILE_PATH.sub("<file>", line)
    return line if len(line) <= _MAX_MESSAGE_CHARS else line[:_MAX_MESSAGE_CHARS - 1] + "\u2026"


def _require_plain_select(cursor: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT reading marts through {placeholders}, the CTEs in scope
    and harmless table functions, judged on DuckDB's own parse tree (quoting, comments and
    string tricks cannot hide a table from it)."""
    if _MART_TOKEN in _fold_case(sql):  # only placeholders may become names with the token
        raise AccessDenied("page SQL must read marts through {placeholders} only")
    tokenised = _PLACEHOLDER.sub(lambda m: _MART_TOKEN + m.group(1), sql)
    try:
        serialised = cursor.execute("select json_serialize_sql($sql)", {"sql": tokenised}).fetchall()[0][0]
        tree = json.loads(serialised)
    except duckdb.Error as exc:
        raise AccessDenied(f"page SQL could not be checked: {_one_line(str(exc))}") from exc
    except RecursionError:
        raise AccessDenied("page SQL is nested too deeply") from None
    if tree.get("error"):
        raise AccessDenied(f"page SQL must be a single SELECT statement "
                           f"({_one_line(str(tree.get('error_message', '')))})")
    if len(tree["statements"]) != 1:
        raise AccessDenied("page SQL must be a single statement")
    _require_known_names(tree["statements"])


def _require_known_names(statements: list[Any]) -> None:
    """Walk the tree keeping, for each node, the CTE names visible there, as DuckDB binds them:
    a CTE is visible in the body of the query it belongs to (sub-queries included) and in the
    CTEs after it in the same WITH, never elsewhere and never in itself. A table reference is
    allowed only when it is a placeholder or a CTE visible where it stands; anything else (a
    system view such as duckdb_tables, a table of another schema) would be read from the catalog.
    Iterative, so a deeply nested query cannot exhaust Python's stack."""
    pending: list[tuple[Any, frozenset[str]]] = [(statements, frozenset())]
    while pending:
        value, visible = pending.pop()
        if isinstance(value, list):
            pending.extend((child, visible) for child in value)
            continue
        if not isinstance(value, dict):
            continue
        if "cte_map" in value:  # a query node: SELECT, set operation or recursive CTE
            visible = _push_ctes(value, visible, pending)
        _require_allowed_node(value, visible)
        pending.extend((child, visible) for key, child in value.items() if key != "cte_map")


def _push_ctes(query_node: dict[str, Any], visible: frozenset[str],
               pending: list[tuple[Any, frozenset[str]]]) -> frozenset[str]:
    """Queue each CTE of ``query_node`` with the names visible in it; return those of the body."""
    for entry in (query_node.get("cte_map") or {}).get("map", []):
        cte = entry.get("value") or {}
        if cte.get("key_targets"):
            raise AccessDenied("page SQL may not use recursive CTEs")
        pending.append((cte, visible))
        visible = visible | {_fold_case(entry.get("key", ""))}
    return visible


def _require_allowed_node(node: dict[str, Any], visible: frozenset[str]) -> None:
    kind = node.get("type")
    if kind == "RECURSIVE_CTE_NODE":
        raise AccessDenied("page SQL may not use recursive CTEs")
    if node.get("class") == "FUNCTION":
        _require_allowed_function(node)
    elif "class" not in node and "cte_map" not in node and "sample" in node:  # a table reference
        if kind == "SHOW_REF":
            raise AccessDenied("page SQL may not describe, summarize or show tables")
        if kind not in _ALLOWED_TABLE_REFS:
            raise AccessDenied(f"page SQL may not read from a {str(kind).lower()} reference")
        if kind == "BASE_TABLE":
            _require_visible_table(node, visible)
        elif kind == "TABLE_FUNCTION":
            name = (node.get("function") or {}).get("function_name", "")
            if _fold_case(name) not in ALLOWED_TABLE_FUNCTIONS:
                raise AccessDenied(f"page SQL may not call {name!r}")


def _require_visible_table(node: dict[str, Any], visible: frozenset[str]) -> None:
    name = node.get("table_name", "")
    if node.get("schema_name") or node.get("catalog_name") or not (
            name.startswith(_MART_TOKEN) or _fold_case(name) in visible):
        raise AccessDenied(f"page SQL must read marts through {{placeholders}} only, not {name!r}")


def _require_allowed_function(node: dict[str, Any]) -> None:
    name = node.get("function_name", "")
    if node.get("schema") or node.get("catalog"):
        raise AccessDenied(f"page SQL may not call schema-qualified functions such as {name!r}")
    # A table function's call is a function node too (range and friends are list functions as well).
    if _fold_case(name) not in ALLOWED_FUNCTIONS | ALLOWED_TABLE_FUNCTIONS:
        raise AccessDenied(f"page SQL may not call {name!r}: not among the functions dashboard reads use")


def _fold_case(name: str) -> str:
    """Lower-case ASCII letters only, as DuckDB compares names: str.lower() would also fold the
    Kelvin sign into "k" and so take a CTE for a system view DuckDB keeps apart."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _qualified(name: str) -> str:
    """The table a placeholder names: a model output in ``ml``, anything else in ``marts``."""
    return f"{MODEL_SCHEMA if name in MODEL_TABLES else MARTS_SCHEMA}.{name}"


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """Placeholder name -> columns: every mart, and the model outputs of ``MODEL_TABLES`` (a
    table of that name in ``marts``, left by an older version, is not read)."""
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where (table_schema = $marts and table_name not in (select unnest($models))) "
        "or (table_schema = $ml and table_name in (select unnest($models)))",
        {"marts": MARTS_SCHEMA, "ml": MODEL_SCHEMA, "models": sorted(MODEL_TABLES)},
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return {table: frozenset(names) for table, names in columns.items()}
