"""Source freshness: the cadence file, ages and statuses from raw.load_audit, Dagster checks."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.loader.schema import LOAD_AUDIT_DDL
from models import SOURCE_SYSTEMS, contracts_by_source
from models.freshness import (
    FreshnessConfigError,
    FreshnessRule,
    load_freshness_rules,
    parse_freshness_rules,
)
from orchestration.defs.ingestion import assets as ingestion_assets
from orchestration.lib.freshness import freshness_check_results
from orchestration.resources import LandingResource, WarehouseResource
from reporting.freshness import SourceFreshness, source_freshness

NOW = datetime(2026, 10, 31, 12, 0, 0)  # naive UTC, as the loader writes
DAILY = FreshnessRule("x", expected_every_hours=24, warn_after_hours=30, error_after_hours=48)

CONFIG = """
defaults: {expected_every_hours: 24, warn_after_hours: 30, error_after_hours: 48}
sources:
  partners: {expected_every_hours: 168, warn_after_hours: 192, error_after_hours: 336}
  usage: {warn_after_hours: 36}
"""


@pytest.mark.parametrize(
    ("age_hours", "status"),
    [
        (0.0, "fresh"),
        (30.0, "fresh"),  # exactly at warn_after: not yet late (dbt and Dagster agree)
        (30.01, "warn"),
        (48.0, "warn"),
        (48.01, "stale"),
        (1000.0, "stale"),
    ],
)
def test_status_boundaries(age_hours: float, status: str) -> None:
    assert DAILY.status(age_hours) == status


def test_defaults_fill_sources_left_out_and_partial_overrides() -> None:
    rules = parse_freshness_rules(CONFIG)
    assert list(rules) == list(SOURCE_SYSTEMS)
    assert rules["billing"] == FreshnessRule("billing", 24.0, 30.0, 48.0)
    assert rules["partners"] == FreshnessRule("partners", 168.0, 192.0, 336.0)
    assert rules["usage"] == FreshnessRule("usage", 24.0, 36.0, 48.0)


def test_the_committed_file_covers_every_source_explicitly() -> None:
    import yaml

    from models.freshness import FRESHNESS_YML

    document = yaml.safe_load(FRESHNESS_YML.read_text())
    assert sorted(document["sources"]) == sorted(SOURCE_SYSTEMS)
    rules = load_freshness_rules()
    assert rules["billing"] == FreshnessRule("billing", 24.0, 30.0, 48.0)
    assert rules["partners"].expected_every_hours == 168.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            CONFIG.replace("usage: {warn_after_hours: 36}", "usage: {warn_after_hours: soon}"),
            "f.yml: sources.usage.warn_after_hours: must be a positive number of hours, got 'soon'",
        ),
        (
            CONFIG.replace("usage: {warn_after_hours: 36}", "usage: {warn_after_hours: 50}"),
            "f.yml: sources.usage.error_after_hours: must be more than warn_after_hours",
        ),
        (
            CONFIG.replace("usage: {warn_after_hours: 36}", "usage: {warn_after_hours: 12}"),
            "f.yml: sources.usage.warn_after_hours: must be at least expected_every_hours",
        ),
        (
            CONFIG.replace("usage:", "metering:"),
            "f.yml: sources.metering: unknown source system (known: "
            + ", ".join(SOURCE_SYSTEMS) + ")",
        ),
        (
            CONFIG.replace("usage: {warn_after_hours: 36}", "usage: {warn_after: 36}"),
            ("f.yml: sources.usage.warn_after: unknown setting "
            "(known: expected_every_hours, warn_after_hours, error_after_hours)"),
        ),
        (
            "defaults: {expected_every_hours: 24, warn_after_hours: 30}\n",
            "f.yml: defaults.error_after_hours: missing",
        ),
        (
            CONFIG.replace("usage: {warn_after_hours: 36}", "usage: {warn_after_hours: true}"),
            "f.yml: sources.usage.warn_after_hours: must be a positive number of hours, got True",
        ),
        ("defaults: [1, 2\n", "f.yml: line 2 is not valid YAML"),
    ],
)
def test_bad_config_gives_one_line_naming_file_and_field(text: str, message: str) -> None:
    with pytest.raises(FreshnessConfigError) as raised:
        parse_freshness_rules(text, "f.yml")
    assert str(raised.value) == message


def _audit(
    con: duckdb.DuckDBPyConnection,
    source: str,
    outcome: str,
    finished: datetime,
    file: str | None = None,
    sha256: str | None = None,
) -> None:
    """One audit row; by default a file whose content no other row has."""
    file = file or f"{source}/export.csv"
    sha256 = sha256 or f"{source}-{finished.isoformat()}"
    con.execute(
        "insert into raw.load_audit (batch_id, source, file, file_sha256, rows_read, rows_loaded,"
        " rows_quarantined, rows_inserted, rows_updated, started_at, finished_at, outcome)"
        " values (?, ?, ?, ?, 0, 0, 0, 0, 0, ?, ?, ?)",
        [f"{source}-{finished:%H%M%S}-{outcome}", source, file, sha256,
         finished - timedelta(minutes=1), finished, outcome],
    )


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("create schema raw")
    connection.execute(LOAD_AUDIT_DDL)
    return connection


def test_ages_and_statuses_from_the_load_audit(con: duckdb.DuckDBPyConnection) -> None:
    rules = parse_freshness_rules(CONFIG)
    # billing: two files of one batch 30 h ago (exactly warn_after -> fresh).
    _audit(con, "billing", "loaded", NOW - timedelta(hours=30))
    _audit(con, "billing", "loaded", NOW - timedelta(hours=31))
    # crm: loaded 47 h ago; a later failed attempt does not make it fresher -> warn.
    _audit(con, "crm", "loaded", NOW - timedelta(hours=47))
    _audit(con, "crm", "failed", NOW - timedelta(hours=1))
    # finance: loaded 72 h ago, then only runs that found no files -> stale.
    _audit(con, "finance", "loaded", NOW - timedelta(hours=72))
    _audit(con, "finance", "no_files", NOW - timedelta(hours=2))
    # partners: weekly cadence, loaded 190 h ago -> fresh (warn after 192 h).
    _audit(con, "partners", "loaded", NOW - timedelta(hours=190))
    # usage: warn after 36 h (override), loaded 36 h 30 min ago -> warn.
    _audit(con, "usage", "loaded", NOW - timedelta(hours=36, minutes=30))
    # support: only a rolled-back batch -> never loaded.
    _audit(con, "support", "rolled_back", NOW - timedelta(hours=3))
    # projects: exported 50 h ago, the same two files reloaded every night since -> stale;
    # one of them changed content 20 h ago would have made it fresh (see the next test).
    for hours in (50, 26, 2):
        _audit(con, "projects", "loaded", NOW - timedelta(hours=hours), "projects/a.jsonl", "a1")
        _audit(con, "projects", "loaded", NOW - timedelta(hours=hours), "projects/b.jsonl", "b1")

    report = {f.source: f for f in source_freshness(con, now=NOW, rules=rules)}

    assert list(report) == list(SOURCE_SYSTEMS)
    expected = {
        "finance": (NOW - timedelta(hours=72), 72.0, 24.0, "stale"),
        "partners": (NOW - timedelta(hours=190), 190.0, 168.0, "fresh"),
        "crm": (NOW - timedelta(hours=47), 47.0, 24.0, "warn"),
        "billing": (NOW - timedelta(hours=30), 30.0, 24.0, "fresh"),
        "usage": (NOW - timedelta(hours=36, minutes=30), 36.5, 24.0, "warn"),
        "projects": (NOW - timedelta(hours=50), 50.0, 24.0, "stale"),
        "procurement": (None, None, 24.0, "never_loaded"),
        "support": (None, None, 24.0, "never_loaded"),
    }
    actual = {
        s: (f.last_loaded_at, f.age_hours, f.expected_every_hours, f.status) for s, f in report.items()
    }
    assert actual == expected


def test_a_changed_file_makes_its_source_fresh_again(con: duckdb.DuckDBPyConnection) -> None:
    _audit(con, "crm", "loaded", NOW - timedelta(hours=50), "crm/customers.csv", "v1")
    _audit(con, "crm", "loaded", NOW - timedelta(hours=50), "crm/contracts.jsonl", "c1")
    _audit(con, "crm", "loaded", NOW - timedelta(hours=20), "crm/customers.csv", "v2")
    _audit(con, "crm", "loaded", NOW - timedelta(hours=20), "crm/contracts.jsonl", "c1")
    _audit(con, "crm", "loaded", NOW - timedelta(hours=1), "crm/customers.csv", "v2")

    (crm,) = [
        f for f in source_freshness(con, now=NOW, rules=parse_freshness_rules(CONFIG))
        if f.source == "crm"
    ]

    assert (crm.last_loaded_at, crm.age_hours, crm.status) == (NOW - timedelta(hours=20), 20.0, "fresh")


def test_an_aware_now_is_taken_in_utc(con: duckdb.DuckDBPyConnection) -> None:
    _audit(con, "billing", "loaded", NOW - timedelta(hours=2))
    new_york_noon_utc = NOW.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=-4)))

    (billing,) = [
        f for f in source_freshness(con, now=new_york_noon_utc, rules=parse_freshness_rules(CONFIG))
        if f.source == "billing"
    ]

    assert billing.age_hours == 2.0 and billing.status == "fresh"


def test_a_warehouse_without_audit_has_every_source_never_loaded() -> None:
    report = source_freshness(duckdb.connect(), now=NOW, rules=parse_freshness_rules(CONFIG))
    assert [f.status for f in report] == ["never_loaded"] * len(SOURCE_SYSTEMS)


# --- the same freshness in Dagster: the export_fresh check of every raw table ----------------

BILLING_TABLES = sorted(c.name for c in contracts_by_source()["billing"])


def test_a_late_source_warns_on_every_one_of_its_tables() -> None:
    late = SourceFreshness("billing", NOW - timedelta(hours=36.5), 36.5, 24.0, "warn")

    results = list(freshness_check_results(late, contracts_by_source()["billing"]))

    assert sorted(r.asset_key.path[-1] for r in results) == BILLING_TABLES
    for r in results:
        assert (r.check_name, r.passed, r.severity) == ("export_fresh", False, dg.AssetCheckSeverity.WARN)
        assert r.description == (
            "billing: newest export content loaded 36.5 h ago "
            "(expected every 24 h, warns after 30 h, stale after 48 h)"
        )
        assert {k: v.value for k, v in r.metadata.items()} == {
            "status": "warn", "last_loaded_at": "2026-10-29 23:30:00",
            "expected_every_hours": 24.0, "age_hours": 36.5,
        }


@pytest.mark.parametrize(
    ("status", "passed", "severity"),
    [("fresh", True, dg.AssetCheckSeverity.ERROR), ("stale", False, dg.AssetCheckSeverity.ERROR),
     ("never_loaded", False, dg.AssetCheckSeverity.ERROR)],
)
def test_fresh_passes_and_stale_or_never_loaded_is_an_error(status: str, passed: bool, severity) -> None:
    age = None if status == "never_loaded" else 1.0
    freshness = SourceFreshness("support", None if age is None else NOW, age, 24.0, status)
    (result,) = freshness_check_results(freshness, contracts_by_source()["support"])
    assert (result.passed, result.severity) == (passed, severity)


def test_a_load_reports_export_fresh_for_loaded_and_empty_sources(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "finance").mkdir(parents=True)
    (landing / "finance" / "tenants.csv").write_text(
        "tenant_id,tenant_name,tenant_type,reporting_currency,country_code,fiscal_year_start_month,created_at\n"
        "t1,Acme Ops,operating_company,USD,US,1,2024-01-01 00:00:00\n"
    )
    finance_and_support = [
        a for a in ingestion_assets if {k.path[-1] for k in a.keys} & {"tenants", "support_tickets"}
    ]

    result = dg.materialize(
        finance_and_support,
        resources={
            "warehouse": WarehouseResource(path=str(tmp_path / "wh" / "w.duckdb")),
            "landing": LandingResource(path=str(landing)),
        },
    )

    fresh = {
        c.asset_key.path[-1]: (c.passed, c.metadata["status"].value)
        for c in result.get_asset_check_evaluations() if c.check_name == "export_fresh"
    }
    assert fresh == {
        "tenants": (True, "fresh"), "fx_rates": (True, "fresh"), "approval_events": (True, "fresh"),
        "support_tickets": (False, "never_loaded"),
    }
