"""Attacks on the data access layer from an outside adversarial test, each refused at its root.

Against the built two-tenant company: CTE names that would let a table reference reach a
system view outside the CTE's scope, functions that read settings or the catalog, statements
that run for ever or need unbounded memory, and crafted statements whose DuckDB error would
reach the page raw. Every failure must be ``AccessDenied`` (a refusal) or ``QueryFailed`` (the
SQL could not run) with a one-line message; expected rows come from a separate read.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from company_copies import copy_of_company

from dashboards.access import (
    AccessDenied,
    DataAccess,
    QueryFailed,
    QueryTimedOut,
    Viewer,
)
from dashboards.context import Filters
from dashboards.queries import revenue
from foundation.settings import MAX_ROWS_ENV, MEMORY_LIMIT_ENV, QUERY_TIMEOUT_ENV, ReadLimits
from foundation.warehouse import Warehouse, WarehouseError

ADMIN = Viewer("admin", "admin", None)  # attacks are refused even for a viewer of every tenant
ENDLESS_SQL = "select count(*) as n from range(100000000000)"  # about 13 s unchecked
# About 4 million groups: well over 64 MB of hash table, well under 2 GB.
MEMORY_HUNGRY_SQL = ("select count(*) as n from "
                     "(select range % 4000000 as k, count(*) from range(16000000) group by 1)")


@pytest.fixture(scope="module")
def access(built_company: Path) -> DataAccess:
    return DataAccess(built_company)


@pytest.fixture(scope="module")
def own_tenant(access: DataAccess) -> str:
    return access.tenant_ids()[0]


@pytest.fixture(scope="module")
def truth(built_company: Path):
    """An independent read-only connection to the same snapshot, for expected values."""
    con = Warehouse(built_company).reader()
    yield con
    con.close()


@pytest.fixture(scope="module")
def own_invoices(truth, own_tenant: str) -> int:
    return truth.execute("select count(*) from marts.fct_invoices where tenant_id = ?",
                         [own_tenant]).fetchall()[0][0]


@pytest.fixture(scope="module")
def private_warehouse(built_company: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published copy of the company: DuckDB settings such as the memory limit belong to the
    whole database a process has open, so tests that change them get a database of their own."""
    return copy_of_company(built_company, tmp_path_factory.mktemp("private-company"))


def _refusal(access: DataAccess, sql: str, viewer: Viewer = ADMIN) -> AccessDenied:
    with pytest.raises(AccessDenied) as refused:
        access.query(viewer, sql)
    return refused.value


def _assert_one_clean_line(error: BaseException) -> None:
    message = str(error)
    assert isinstance(error, (AccessDenied, QueryFailed)), type(error)
    assert not isinstance(error, duckdb.Error)
    assert message and "\n" not in message and len(message) <= 300, message


# -- 1. CTE names resolve in their own scope only -------------------------------------------

LISTED_SYSTEM_VIEWS = ("duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_settings",
                       "pg_settings", "duckdb_databases", "sqlite_master", "pg_tables")

# Each reads system view {v} from a place where no CTE of that name is visible, while a CTE of
# that name exists somewhere else in the statement.
SHADOW_SHAPES = {
    "CTE of a sub-query in FROM": "select d.* from (with {v} as (select 1) select 1) q, {v} d",
    "CTE of one side of a UNION": "(with {v} as (select 1 as n) select n from {v}) union all (select count(*) from {v})",
    "lateral join": "select d.* from (with {v} as (select 1) select 1) q, lateral (select * from {v}) d",
    "scalar sub-query in SELECT": "select (select count(*) from {v}) as n from (with {v} as (select 1) select 1) q",
    "scalar sub-query in WHERE": "select q.* from (with {v} as (select 1) select 1) q where (select count(*) from {v}) > 0",
    "IN sub-query": "select q.x from (with {v} as (select 1 as x) select x from {v}) q where q.x in (select 1 from {v})",
    "nested CTE shadowing": "with a as (with {v} as (select 1) select * from {v}) select d.* from a, {v} d",
    "CTE reading its own name": "with {v} as (select * from {v}) select * from {v}",
    "CTE reading a later CTE": "with a as (select * from {v}), {v} as (select 1) select * from a",
    "table function argument": "select * from (with {v} as (select 1) select 1) q, range((select count(*) from {v}))",
}


@pytest.mark.parametrize("shape", SHADOW_SHAPES, ids=list(SHADOW_SHAPES))
@pytest.mark.parametrize("view", LISTED_SYSTEM_VIEWS)
def test_a_cte_name_does_not_open_a_system_view_outside_its_scope(access, view, shape):
    refused = _refusal(access, SHADOW_SHAPES[shape].format(v=view))
    assert view in str(refused)


def test_no_system_view_is_reachable_through_a_shadowing_cte(access, truth):
    views = [row[0] for row in truth.execute(
        "select distinct view_name from duckdb_views() where internal order by 1").fetchall()]
    assert len(views) >= 40  # pg_catalog, information_schema and DuckDB's own
    for view in views:
        _refusal(access, SHADOW_SHAPES["CTE of a sub-query in FROM"].format(v=view))


def test_a_cte_named_with_a_unicode_look_alike_does_not_shadow_the_view(access):
    # Python folds the Kelvin sign (U+212A) to "k"; DuckDB keeps it apart from "duckdb_tables".
    _refusal(access, 'with "duc\u212adb_tables" as (select 1 as x) select * from duckdb_tables')


LEGIT_CTE_SCOPES = {
    "sub-query in FROM": "with inv as ({base}) select count(*) as n from (select * from inv) q",
    "set operation": "with inv as ({base}) select count(*) as n from "
                     "(select invoice_id from inv union all select invoice_id from inv where false) q",
    "lateral join": "with inv as ({base}) select count(*) as n from range(1) r, lateral (select * from inv) l",
    "scalar sub-query in SELECT": "with inv as ({base}) select (select count(*) from inv) as n",
    "scalar sub-query in WHERE": "with inv as ({base}) select count(*) as n from inv "
                                 "where (select count(*) from inv) > 0",
    "IN sub-query": "with inv as ({base}) select count(*) as n from {{fct_invoices}} f "
                    "where f.invoice_id in (select invoice_id from inv)",
    "nested WITH reading an outer CTE": "with inv as ({base}) select * from "
                                        "(with again as (select * from inv) select count(*) as n from again) q",
    "later CTE reading an earlier one": "with inv as ({base}), again as (select * from inv) "
                                        "select count(*) as n from again",
    "CTE named like a system view": "with duckdb_tables as ({base}) select count(*) as n from duckdb_tables",
    "CTE named in another case": "with Inv as ({base}) select count(*) as n from INV",
}


@pytest.mark.parametrize("scope", LEGIT_CTE_SCOPES, ids=list(LEGIT_CTE_SCOPES))
def test_ctes_read_where_they_are_visible_still_run(access, own_tenant, own_invoices, scope):
    viewer = Viewer("scoped", "executive", frozenset({own_tenant}))
    sql = LEGIT_CTE_SCOPES[scope].format(base="select invoice_id from {fct_invoices}")
    assert access.query(viewer, sql)["n"].tolist() == [own_invoices]


@pytest.mark.parametrize("sql", [
    "select current_setting('temp_directory') as s",
    "select current_setting('memory_limit') as s",
    "select getvariable('x') as s",
    "select current_query() as s",
    "select current_database() as s",
    "select pg_get_viewdef(0) as s",
    "select nextval('any_sequence') as s",
    "select Current_Setting('threads') as s",
    "select pg_catalog.current_setting('threads') as s",
    "select system.main.current_setting('threads') as s",
    # These plan any SQL text they are given, so a built-up name ('r'||'aw.secret') or a
    # setting comes back inside the plan, and column statistics answer range questions.
    "select json_serialize_plan('select current_setting(''memory_limit'')', optimize := true) as s",
    "select json_serialize_plan('select * from r' || 'aw.load_audit') as s",
    "select regexp_matches(json_serialize_plan('select 1', optimize := true), 'x') as s",
    "select json_serialize_sql('select 1') as s",
    "select write_log('x') as s",
    "select 'memory_limit'.current_setting() as s",
])
def test_functions_reading_settings_or_the_catalog_are_refused(access, sql):
    _refusal(access, sql)


def test_only_a_placeholder_standing_alone_names_a_mart(private_warehouse, own_tenant):
    # "{dim_date}_secret" once passed the check as a placeholder and became marts.dim_date_secret,
    # unscoped: a mart whose name starts with an unscoped mart's name leaked every tenant.
    with duckdb.connect(str(private_warehouse)) as con:
        con.execute("create table marts.dim_date_secret as select 'TEN-OTHER' as tenant_id, 'secret' as v")
    Warehouse(private_warehouse).publish()
    viewer = Viewer("scoped", "executive", frozenset({own_tenant}))
    access = DataAccess(private_warehouse)
    for sql in ("select * from {dim_date}_secret", "select * from x{dim_date}",
                "select * from {dim_date}secret"):
        _assert_one_clean_line(_refusal(access, sql, viewer))


def test_table_names_never_resolve_to_python_variables(access):
    # DuckDB's replacement scans would read a pandas frame of the caller by its variable name.
    secret_frame = pd.DataFrame({"tenant_id": ["TEN-LEAK"]})
    cursor = access._cursor()
    try:
        with pytest.raises(duckdb.CatalogException):
            cursor.execute("select * from secret_frame").fetchall()
    finally:
        cursor.close()
    assert len(secret_frame) == 1


def test_raw_placeholder_tokens_are_refused(access):
    _refusal(access, "select * from __opsintel_mart_fct_invoices")
    _refusal(access, "select * from __OPSINTEL_MART_fct_invoices")


# -- 2. Resource limits -----------------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) as n from r",
    "with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select count(*) as n from r",
    "with recursive r(n) using key (n) as (select 1 union select n + 1 from r) select count(*) as n from r",
    "select * from (with recursive r(n) as (select 1 union all select n + 1 from r) select n from r) q",
])
def test_recursive_ctes_are_refused(access, sql):
    refused = _refusal(access, sql)
    assert "recursive" in str(refused)


def test_an_endless_query_stops_at_the_time_limit_and_the_reader_keeps_working(
        built_company, own_invoices, own_tenant):
    access = DataAccess(built_company, ReadLimits(timeout_s=0.5))
    started = time.monotonic()
    with pytest.raises(QueryTimedOut) as stopped:
        access.query(ADMIN, ENDLESS_SQL)
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 5, elapsed
    _assert_one_clean_line(stopped.value)
    assert "0.5 s" in str(stopped.value)
    viewer = Viewer("scoped", "executive", frozenset({own_tenant}))
    assert access.query(viewer, "select count(*) as n from {fct_invoices}")["n"].tolist() == [own_invoices]


def test_quick_queries_are_not_cut_short_by_an_earlier_timer(built_company, own_invoices, own_tenant):
    # Each read's timer ends with the read: a later read never gets a stale interrupt.
    access = DataAccess(built_company, ReadLimits(timeout_s=0.2))
    viewer = Viewer("scoped", "executive", frozenset({own_tenant}))
    for _ in range(3):
        assert access.query(viewer, "select count(*) as n from {fct_invoices}")["n"].tolist() == [own_invoices]
        time.sleep(0.25)


def test_the_time_limit_comes_from_the_environment(built_company, monkeypatch):
    monkeypatch.setenv(QUERY_TIMEOUT_ENV, "0.3")
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    access = DataAccess(built_company)
    assert access.limits == ReadLimits(timeout_s=0.3, memory_limit="2GB")
    started = time.monotonic()
    with pytest.raises(QueryTimedOut):
        access.query(ADMIN, ENDLESS_SQL)
    assert time.monotonic() - started < 5


def _memory_setting(size: str) -> str:
    """How DuckDB shows ``size`` as a memory limit, read on a connection of its own."""
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{size}'")
        return con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    finally:
        con.close()


def test_default_limits_are_ten_seconds_and_two_gigabytes(built_company, monkeypatch):
    monkeypatch.delenv(QUERY_TIMEOUT_ENV, raising=False)
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    access = DataAccess(built_company)
    assert access.limits == ReadLimits(timeout_s=10.0, memory_limit="2GB")
    cursor = access._cursor()
    try:
        assert cursor.execute("select current_setting('memory_limit')").fetchall()[0][0] == _memory_setting("2GB")
    finally:
        cursor.close()


def test_a_query_over_the_memory_limit_fails_in_one_line(private_warehouse, monkeypatch, own_tenant):
    monkeypatch.delenv(QUERY_TIMEOUT_ENV, raising=False)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "64MB")
    access = DataAccess(private_warehouse)
    cursor = access._cursor()
    try:
        assert cursor.execute("select current_setting('memory_limit')").fetchall()[0][0] == _memory_setting("64MB")
    finally:
        cursor.close()
    with pytest.raises(QueryFailed, match="more memory than the 64MB") as failed:
        access.query(ADMIN, MEMORY_HUNGRY_SQL)
    _assert_one_clean_line(failed.value)
    # Nothing spilled beside the snapshot, and ordinary reads carry on.
    assert not list(private_warehouse.parent.rglob("*.tmp"))
    assert access.query(ADMIN, "select count(*) as n from {dim_tenant}")["n"].tolist() == [2]


def test_the_same_query_runs_under_the_default_memory_limit(built_company):
    assert DataAccess(built_company).query(ADMIN, MEMORY_HUNGRY_SQL)["n"].tolist() == [4_000_000]


@pytest.mark.parametrize(("env", "value"), [
    (QUERY_TIMEOUT_ENV, "soon"), (QUERY_TIMEOUT_ENV, "0"), (QUERY_TIMEOUT_ENV, "-1"),
    (QUERY_TIMEOUT_ENV, "nan"), (QUERY_TIMEOUT_ENV, "inf"),
    (MEMORY_LIMIT_ENV, "lots"), (MEMORY_LIMIT_ENV, "2GB'; set enable_external_access = true; --"),
    (MEMORY_LIMIT_ENV, "-1GB"), (MAX_ROWS_ENV, "many"), (MAX_ROWS_ENV, "0"), (MAX_ROWS_ENV, "-5"),
    (MAX_ROWS_ENV, "1.5"),
])
def test_a_bad_limit_in_the_environment_is_one_line_naming_it(built_company, monkeypatch, env, value):
    for name in (QUERY_TIMEOUT_ENV, MEMORY_LIMIT_ENV, MAX_ROWS_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(env, value)
    with pytest.raises(WarehouseError, match=env) as bad:
        DataAccess(built_company).tables()
    assert "\n" not in str(bad.value)


def test_a_result_over_the_row_limit_fails_in_one_line_and_one_at_it_returns_whole(built_company):
    access = DataAccess(built_company, ReadLimits(max_rows=1000))
    with pytest.raises(QueryFailed, match="more than 1,000 rows") as refused:
        access.query(ADMIN, "select range as n from range(1001)")
    _assert_one_clean_line(refused.value)
    # At the limit: every row, in the query's own order (the cap wraps the query).
    rows = access.query(ADMIN, "select range as n from range(1000) order by n desc -- a comment")
    assert rows["n"].tolist() == list(range(999, -1, -1))


def test_the_row_limit_comes_from_the_environment(built_company, monkeypatch):
    monkeypatch.setenv(MAX_ROWS_ENV, "50")
    access = DataAccess(built_company)
    assert access.limits.max_rows == 50
    with pytest.raises(QueryFailed, match="more than 50 rows"):
        access.query(ADMIN, "select range as n from range(51);")
    monkeypatch.delenv(MAX_ROWS_ENV)
    assert DataAccess(built_company).limits.max_rows == 1_000_000


# -- 3. Every failure is one clean line -----------------------------------------------------

CRAFTED_STATEMENTS = {
    "unknown column": "select no_such_column from {fct_invoices}",
    "unknown function": "select no_such_function(1) as x",
    "unknown type": "select cast('a' as no_such_type) as x",
    "bad cast": "select cast('abc' as integer) as x",
    "bad date literal": "select date '2026-13-45' as x",
    "bad date comparison": "select count(*) as n from {fct_invoices} where invoice_date > 'not a date'",
    "integer division by zero": "select 1 // 0 as x",
    "modulo by zero": "select count(*) % 0 as x from {fct_invoices}",
    "overflow": "select 9223372036854775807::bigint + 1 as x",
    "decimal out of range": "select cast(1000 as decimal(3, 1)) as x",
    "wrong parameter style": "select $1 as x",
    "positional parameter": "select ? as x",
    "unbound parameter": "select $no_such_parameter as x",
    "upper-case parameter": "select $Start as x",
    "syntax error": "select from where",
    "unterminated string": "select 'abc as x",
    "second statement": "select 1 as x; select 2 as y",
    "wrong arity": "select abs(1, 2) as x",
    "no matching overload": "select sum(customer_id) as x from {fct_invoices}",
    "ambiguous column": "select tenant_id from {fct_invoices} a, {dim_customer} b",
    "missing group by": "select customer_id, count(*) as n from {fct_invoices}",
    "nested aggregate": "select sum(count(*)) as x from {fct_invoices}",
    "window in where": "select invoice_id from {fct_invoices} where row_number() over () = 1",
    "order by out of range": "select invoice_id from {fct_invoices} order by 5",
    "union column mismatch": "select 1 as a union select 1, 2",
    "using unknown column": "select * from {fct_invoices} join {dim_customer} using (no_such_column)",
    "invalid regex": "select regexp_matches('a', '(') as x",
    "unparseable time": "select strptime('x', '%Y') as x",
    "duplicate map keys": "select map([1, 1], [2, 3]) as x",
    "malformed json": "select '{{' ::json as x",
    "bad uuid": "select 'x'::uuid as x",
    "zero step": "select * from range(1, 10, 0)",
    "unnest of a scalar": "select * from unnest(1)",
    "date beyond pandas": "select date '5877642-06-25' as x",
    "quoted placeholder": 'select * from "{fct_invoices}"',
    "unknown mart": "select * from {no_such_mart}",
    "deeply nested sub-queries": "select " + "(select " * 250 + "1" + ")" * 250 + " as x",
    "too deep for DuckDB's parser": "select " + "(" * 1200 + "1" + ")" * 1200 + " as x",
}


@pytest.mark.parametrize("name", CRAFTED_STATEMENTS, ids=list(CRAFTED_STATEMENTS))
def test_a_crafted_statement_ends_in_one_clean_line(access, own_tenant, name):
    viewer = Viewer("scoped", "executive", frozenset({own_tenant}))
    with pytest.raises((AccessDenied, QueryFailed)) as failed:
        access.query(viewer, CRAFTED_STATEMENTS[name], {"start": date(2025, 11, 1)})
    _assert_one_clean_line(failed.value)
    assert "__opsintel" not in str(failed.value)


@pytest.mark.parametrize("value", [object(), {1, 2}, 10**40])
def test_a_parameter_duckdb_cannot_bind_ends_in_one_clean_line(access, value):
    with pytest.raises(QueryFailed) as failed:
        access.query(ADMIN, "select $x as x", {"x": value})
    _assert_one_clean_line(failed.value)


def test_file_paths_never_reach_the_message(access):
    path = "/srv/opsintel/data/warehouse/snapshots/opsintel.123.duckdb"
    with pytest.raises(QueryFailed) as failed:
        access.query(ADMIN, f"select error('cannot open {path}') as x")
    assert path not in str(failed.value) and "cannot open" in str(failed.value)


def test_the_reader_keeps_working_after_failures(access, own_tenant, own_invoices):
    viewer = Viewer("scoped", "executive", frozenset({own_tenant}))
    for sql in list(CRAFTED_STATEMENTS.values())[:10]:
        with pytest.raises((AccessDenied, QueryFailed)):
            access.query(viewer, sql)
    assert access.query(viewer, "select count(*) as n from {fct_invoices}")["n"].tolist() == [own_invoices]


def test_arr_by_an_unknown_dimension_is_one_clear_line(access):
    with pytest.raises(ValueError, match="ARR can be shown by segment, region, partner, product, not 'country'"):
        revenue.arr_by(access, ADMIN, Filters(date(2025, 11, 1), date(2026, 10, 1)), "country")  # type: ignore[arg-type]
