"""Raw-table assets materialized on a temporary warehouse: the metadata tells the truth."""

from pathlib import Path

import dagster as dg
import pytest

from foundation.warehouse import Warehouse
from models import contracts_by_source
from orchestration.defs.ingestion import assets, raw_asset_key
from orchestration.resources import LandingResource, WarehouseResource

TENANTS = """tenant_id,tenant_name,tenant_type,reporting_currency,country_code,fiscal_year_start_month,created_at
t1,Acme Ops,operating_company,USD,US,1,2024-01-01 00:00:00
t2,Acme EU,business_unit,EUR,DE,4,2024-02-01 00:00:00
t3,Bad Month,business_unit,EUR,DE,13,2024-02-01 00:00:00
"""
PARTNERS = """tenant_id,partner_id,partner_name,partner_type,commission_pct,currency,country_code,is_active
t1,p1,Resell Co,reseller,10.5,USD,US,true
t2,p2,Refer Co,referral,5,EUR,DE,false
"""
BROKEN_SUPPORT = "foo,bar\n1,2\n"


def materialize(landing: Path, warehouse: Path, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "landing": LandingResource(path=str(landing)),
        },
        **kwargs,
    )


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    return {
        event.asset_key.path[-1]: {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }


def sql_counts(warehouse: Path) -> dict[str, int]:
    with Warehouse(warehouse).reader() as con:
        names = [
            n
            for (n,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        return {n: con.execute(f'select count(*) from raw."{n}"').fetchone()[0] for n in names}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for relative, text in {
        "finance/tenants.csv": TENANTS,
        "partners/partners.csv": PARTNERS,
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_metadata_row_counts_match_the_warehouse(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "opsintel.duckdb"

    result = materialize(landing, warehouse)

    assert result.success
    metadata = materializations(result)
    assert set(metadata) == {c.name for cs in contracts_by_source().values() for c in cs}
    counts = sql_counts(warehouse)
    for entity, meta in metadata.items():
        assert meta["dagster/row_count"] == counts[entity], entity
        assert meta["rows_read"] == meta["rows_loaded"] + meta["rows_quarantined"], entity
    tenants = metadata["tenants"]
    assert (tenants["rows_read"], tenants["rows_loaded"], tenants["rows_quarantined"]) == (3, 2, 1)
    assert tenants["rows_inserted"] == 2 and tenants["rows_updated"] == 0
    assert [f["path"] for f in tenants["files"]] == ["finance/tenants.csv"]
    assert metadata["partners"]["dagster/row_count"] == 2
    assert metadata["vendors"]["outcome"] == "no_files"


def test_column_schema_metadata_matches_the_raw_tables(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "opsintel.duckdb"
    materialize(landing, warehouse)
    specs = [spec for assets_def in assets for spec in assets_def.specs]

    with Warehouse(warehouse).reader() as con:
        for spec in specs:
            key, schema = spec.key, spec.metadata["dagster/column_schema"]
            actual = con.execute(
                "select column_name, data_type, is_nullable = 'YES' from information_schema.columns"
                " where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [key.path[-1]],
            ).fetchall()
            declared = [(c.name, c.type, c.constraints.nullable) for c in schema.columns]
            assert actual == declared, key


def test_reloading_the_same_files_changes_nothing(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "opsintel.duckdb"
    materialize(landing, warehouse)

    again = materializations(materialize(landing, warehouse))["tenants"]

    assert (again["rows_loaded"], again["rows_inserted"], again["rows_updated"]) == (2, 0, 0)
    assert again["dagster/row_count"] == 2


def test_a_failed_source_fails_its_op_with_the_loader_message(
    landing: Path, tmp_path: Path
) -> None:
    (landing / "support").mkdir()
    (landing / "support" / "support_tickets.csv").write_text(BROKEN_SUPPORT)
    warehouse = tmp_path / "warehouse" / "opsintel.duckdb"

    result = materialize(landing, warehouse, raise_on_error=False)

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "load_support"
    error = failure.step_failure_data.user_failure_data
    # The loader's line names the file and the column first (it may add drift details after).
    assert error.description.startswith(
        "support/support_tickets.csv: required column 'tenant_id' is missing (columns found: foo, bar"
    ), error.description
    assert "\n" not in error.description
    loaded = materializations(result)
    assert raw_asset_key("support_tickets").path[-1] not in loaded
    assert loaded["tenants"]["rows_loaded"] == 2  # the other sources still loaded


@pytest.fixture(scope="module")
def generated_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny generated company with some dirty rows, so quarantine counts are non-zero."""
    from generator import generate

    root = tmp_path_factory.mktemp("generated")
    generate(root / "landing", root / "truth", tenants=1, scale=0.02, seed=7, dirty_rate=0.05)
    return root / "landing"


def test_generated_company_loads_and_metadata_matches_sql(
    generated_landing: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse" / "opsintel.duckdb"

    result = materialize(generated_landing, warehouse)

    assert result.success
    metadata = materializations(result)
    counts = sql_counts(warehouse)
    with Warehouse(warehouse).reader() as con:
        quarantined = dict(
            con.execute("select entity, count(*) from raw.quarantine group by entity").fetchall()
        )
    for entity, meta in metadata.items():
        assert meta["outcome"] == "loaded", entity
        assert meta["rows_read"] == meta["rows_loaded"] + meta["rows_quarantined"], entity
        assert meta["dagster/row_count"] == counts[entity] == meta["rows_inserted"], entity
        assert meta["rows_quarantined"] == quarantined.get(entity, 0), entity
        assert meta["files"], entity
    assert sum(m["rows_quarantined"] for m in metadata.values()) > 0


def test_generated_company_reloads_idempotently(generated_landing: Path, tmp_path: Path) -> None:
    """What the landing sensor and the nightly schedule do: load files already loaded."""
    warehouse = tmp_path / "warehouse" / "opsintel.duckdb"
    first = materializations(materialize(generated_landing, warehouse))

    again = materializations(materialize(generated_landing, warehouse, raise_on_error=False))

    assert set(again) == set(first), "some sources failed to reload"
    for entity, meta in again.items():
        assert (meta["rows_inserted"], meta["rows_updated"]) == (0, 0), entity
        assert meta["dagster/row_count"] == first[entity]["dagster/row_count"], entity
