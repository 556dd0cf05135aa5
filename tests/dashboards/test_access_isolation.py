"""A viewer scoped to one tenant never reads another tenant's rows, whatever a page or a user sends.

Checked against the built two-tenant company: every tenant-scoped mart, hostile ``tenants=``
values, hostile bound parameters, consolidated marts, and SQL that tries to step around the
placeholders. Expected row counts come from a separate read of the snapshot.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dashboards.access import CONSOLIDATED_SUFFIX, UNSCOPED_TABLES, AccessDenied, DataAccess, Viewer
from foundation.warehouse import Warehouse


@pytest.fixture(scope="module")
def access(built_company: Path) -> DataAccess:
    return DataAccess(built_company)


@pytest.fixture(scope="module")
def tenants(access: DataAccess) -> tuple[str, str]:
    ids = access.tenant_ids()
    assert len(ids) == 2
    return ids[0], ids[1]


@pytest.fixture(scope="module")
def truth(built_company: Path):
    """An independent read-only connection to the same snapshot, for expected counts."""
    con = Warehouse(built_company).reader()
    yield con
    con.close()


def _scoped_marts(access: DataAccess) -> list[str]:
    return sorted(name for name, columns in access.tables().items()
                  if "tenant_id" in columns and not name.endswith(CONSOLIDATED_SUFFIX)
                  and name not in UNSCOPED_TABLES)


def _spanning_marts(access: DataAccess) -> list[str]:
    return sorted(name for name, columns in access.tables().items()
                  if (name.endswith(CONSOLIDATED_SUFFIX) or "tenant_id" not in columns)
                  and name not in UNSCOPED_TABLES)


def _count(con: duckdb.DuckDBPyConnection, mart: str, tenant: str) -> int:
    return con.execute(f"select count(*) from marts.{mart} where tenant_id = ?", [tenant]).fetchall()[0][0]


def hostile_requests(own: str, other: str) -> list[list[str] | None]:
    return [
        None, [], [other], [own, other], [other, own],
        ["x' or '1'='1"], [f"{own}') or 1=1 --"], [f"{own}' or tenant_id = '{other}"],
        [own.replace("-", "\u2010")],  # hyphen look-alike
        ["\u0422" + own[1:]],  # Cyrillic capital Te for "T"
        [own.lower()], [f"{own} "], [f" {own}"], ["%"], ["*"], [own + "\x00"],
    ]


def test_the_company_has_rows_of_both_tenants_to_leak(access, tenants, truth):
    own, other = tenants
    marts = _scoped_marts(access)
    assert len(marts) >= 20
    with_both = [m for m in marts if _count(truth, m, own) and _count(truth, m, other)]
    assert len(with_both) >= 15, with_both  # the isolation checks below have something to hide


def test_scoped_viewer_reads_only_own_rows_from_every_mart(access, tenants, truth):
    own, other = tenants
    viewer = Viewer("scoped", "executive", frozenset({own}))
    for mart in _scoped_marts(access):
        expected_own = _count(truth, mart, own)
        for request in hostile_requests(own, other):
            frame = access.query(viewer, f"select tenant_id from {{{mart}}}", tenants=request)
            seen = set(frame["tenant_id"])
            assert seen <= {own}, (mart, request, seen)
            wants_own = request is None or own in request
            assert len(frame) == (expected_own if wants_own else 0), (mart, request)


def test_viewer_of_both_tenants_sees_both(access, tenants, truth):
    own, other = tenants
    viewer = Viewer("all", "analyst", None)
    frame = access.query(viewer, "select tenant_id, count(*) as n from {fct_invoices} group by 1 order by 1")
    assert list(frame.itertuples(index=False, name=None)) == [
        (own, _count(truth, "fct_invoices", own)), (other, _count(truth, "fct_invoices", other))]
    only_other = access.query(viewer, "select distinct tenant_id from {fct_invoices}", tenants=[other])
    assert list(only_other["tenant_id"]) == [other]


@pytest.mark.parametrize("value", [
    "x' or '1'='1", "TEN-001') or 1=1 --", "1; select * from marts.fct_invoices", "' union select 1 --",
])
def test_sql_fragments_in_parameters_are_plain_values(access, tenants, value):
    own, other = tenants
    viewer = Viewer("scoped", "executive", frozenset({own}))
    frame = access.query(viewer, "select tenant_id from {fct_invoices} where customer_id = $customer",
                         {"customer": value})
    assert frame.empty
    by_tenant = access.query(viewer, "select tenant_id from {dim_customer} where tenant_id = $t", {"t": other})
    assert by_tenant.empty


def test_tenant_scope_parameter_name_is_reserved(access, tenants):
    viewer = Viewer("scoped", "executive", frozenset({tenants[0]}))
    with pytest.raises(AccessDenied, match="reserved"):
        access.query(viewer, "select * from {fct_invoices}", {"tenant_scope": list(tenants)})


def test_consolidated_marts_only_for_viewers_of_every_tenant(access, tenants, truth):
    own, _ = tenants
    spanning = _spanning_marts(access)
    assert len(spanning) >= 10
    scoped = Viewer("scoped", "executive", frozenset({own}))
    everyone = Viewer("all", "executive", None)
    for mart in spanning:
        with pytest.raises(AccessDenied, match="spans every tenant"):
            access.query(scoped, f"select count(*) as n from {{{mart}}}")
        with pytest.raises(AccessDenied, match="spans every tenant"):
            access.query(everyone, f"select count(*) as n from {{{mart}}}", tenants=[own])
        expected = truth.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
        assert access.query(everyone, f"select count(*) as n from {{{mart}}}")["n"][0] == expected


@pytest.mark.parametrize("sql", [
    "select * from marts.fct_invoices",
    'select * from "marts"."fct_invoices"',
    "select * from MARTS . fct_invoices",
    "select * from raw.invoices",
    "select * from staging.stg_billing__invoices",
    "select * from fct_invoices",
    "select * from {fct_invoices} union all select * from fct_invoices",
    "select * from {fct_invoices} where tenant_id in (select tenant_id from dim_tenant)",
    "select * from read_csv('/etc/hostname')",
    "select * from read_parquet('x.parquet')",
    "select * from parquet_scan('x.parquet')",
    "select * from query_table('marts.fct_invoices')",
    "select * from query('select 1')",
    "select * from glob('/*')",
    "attach '/tmp/other.duckdb' as other",
    "copy (select 1) to '/tmp/out.csv'",
    "pragma database_list",
    "set enable_external_access = true",
    "install httpfs",
    "select 1; select * from {fct_invoices}",
    "select * from {fct_invoices}; drop table marts.fct_invoices",
    "describe {fct_invoices}",
    "select * from {no_such_mart}",
])
def test_sql_around_the_placeholders_is_refused(access, tenants, sql):
    viewer = Viewer("all", "admin", None)  # refused even for a viewer of every tenant
    with pytest.raises(AccessDenied):
        access.query(viewer, sql)


def test_ordinary_page_sql_still_runs(access, tenants, truth):
    own, _ = tenants
    viewer = Viewer("scoped", "executive", frozenset({own}))
    frame = access.query(viewer, """
        with invoices as (select tenant_id, customer_id from {fct_invoices})
        select c.tenant_id, count(*) as n
        from invoices i join {dim_customer} c using (tenant_id, customer_id)
        cross join range(1) r
        where c.tenant_id in (select tenant_id from {dim_tenant})
        group by 1
    """)
    assert list(frame.itertuples(index=False, name=None)) == [(own, _count(truth, "fct_invoices", own))]


def test_snapshot_connection_cannot_touch_files(access, tmp_path):
    # Defence in depth behind the SQL checks: the read connection itself refuses file access.
    cursor = access._cursor()
    try:
        with pytest.raises(duckdb.PermissionException):
            cursor.execute(f"copy (select 1) to '{tmp_path / 'out.csv'}'")
        with pytest.raises(duckdb.PermissionException):
            cursor.execute("select * from read_csv('/etc/hostname')").fetchall()
    finally:
        cursor.close()
    assert not (tmp_path / "out.csv").exists()
