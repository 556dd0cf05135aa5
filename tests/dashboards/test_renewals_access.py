"""The model outputs the pages read sit in schema ml: placeholders reach them there, scoped.

The scoring and review-queue steps write ``ml.renewal_risk_scores``, ``ml.renewal_model_status``
and ``ml.billing_review_queue`` after each dbt build; pages name them as ``{renewal_risk_scores}``
etc. like any mart, and see only their viewer's tenants. A table of the same name left in
``marts`` by an older version is never read, and no other ``ml`` table is reachable.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards.access import AccessDenied, DataAccess, Viewer
from foundation.warehouse import Warehouse

ALL = Viewer("ana", "analyst", None)
ONE = Viewer("eve", "executive", frozenset({"T1"}))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ml-schema") / "opsintel.duckdb"
    with Warehouse(path).writer() as con:
        for schema in ("marts", "ml"):
            con.execute(f"create schema {schema}")
        con.execute("create table marts.dim_tenant as select * from (values ('T1'), ('T2')) as t(tenant_id)")
        con.execute("create table ml.renewal_risk_scores as select * from "
                    "(values ('T1', 'C-1', 0.8), ('T2', 'C-2', 0.4)) as s(tenant_id, contract_id, probability)")
        # what an older version left in marts: never read
        con.execute("create table marts.renewal_risk_scores as select * from "
                    "(values ('T1', 'STALE', 0.1)) as s(tenant_id, contract_id, probability)")
        con.execute("create table ml.model_versions as select 1 as version")
    return path


def test_scores_are_read_in_schema_ml_and_scoped_to_the_viewer(warehouse: Path) -> None:
    access = DataAccess(warehouse)
    sql = "select tenant_id, contract_id from {renewal_risk_scores} order by contract_id"
    assert access.query(ALL, sql).values.tolist() == [["T1", "C-1"], ["T2", "C-2"]]
    assert access.query(ONE, sql).values.tolist() == [["T1", "C-1"]]
    assert access.has_table("renewal_risk_scores") and not access.has_table("billing_review_queue")


def test_other_ml_tables_and_schema_names_stay_out_of_reach(warehouse: Path) -> None:
    access = DataAccess(warehouse)
    with pytest.raises(AccessDenied, match="^no mart named 'model_versions' in the published warehouse$"):
        access.query(ALL, "select * from {model_versions}")
    qualified = r"^page SQL must read marts through \{placeholders\} only, not 'renewal_risk_scores'$"
    with pytest.raises(AccessDenied, match=qualified):
        access.query(ALL, "select * from ml.renewal_risk_scores")
