"""The `opsintel` command: help everywhere, exit codes scripts can rely on, readable output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsintel.cli import cli

SUBCOMMANDS = ["generate", "load", "status", "explain", "serve", "contracts", "dbt"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("command", [[]] + [[c] for c in SUBCOMMANDS] + [["contracts", "dbt"]])
def test_every_command_has_help(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(cli, command + ["--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and "--help" in result.output


def test_installed_entry_point_runs() -> None:
    exe = shutil.which("opsintel", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("opsintel is not installed in this environment (make install does it)")
    done = subprocess.run([exe, "--help"], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "generate" in done.stdout and "load" in done.stdout


def _tiny_landing(root: Path, *, break_crm: bool = False) -> Path:
    (root / "finance").mkdir(parents=True)
    (root / "finance" / "tenants.csv").write_text(
        "tenant_id,tenant_name,tenant_type,reporting_currency,country_code,fiscal_year_start_month,created_at\n"
        "T1,Acme,operating_company,USD,US,1,2023-01-01T00:00:00\n"
        "T2,Bad,operating_company,USD,US,99,2023-01-01T00:00:00\n"
    )
    (root / "crm").mkdir()
    header = "tenant_id,customer_id,customer_name,region,industry,country_code,billing_currency,partner_id,created_at"
    if not break_crm:
        header = header.replace("customer_name,", "customer_name,segment,")
    (root / "crm" / "customers.csv").write_text(header + "\n")
    return root


def test_load_then_status(runner: CliRunner, tmp_path: Path) -> None:
    landing = _tiny_landing(tmp_path / "landing")
    warehouse = tmp_path / "wh.duckdb"
    result = runner.invoke(cli, ["load", "--landing", str(landing), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    finance_line = next(line for line in result.stdout.splitlines() if line.startswith("finance"))
    assert finance_line.split() == ["finance", "loaded", "2", "1", "1"]
    status = runner.invoke(cli, ["status", "--warehouse", str(warehouse)])
    assert status.exit_code == 0, status.output
    tenants_line = next(line for line in status.stdout.splitlines() if " tenants " in f" {line} ")
    assert tenants_line.split() == ["finance", "tenants", "1", "1"]
    # Data health: finance loaded with one quarantined row (warn); partners sent nothing (blocked).
    lines = status.stdout.splitlines()
    health_table = lines[lines.index(next(l for l in lines if l.startswith("Data health"))) + 3:]
    health = {line.split()[0]: line.split()[1:3] for line in health_table[:8]}
    assert health["finance"] == ["warn", "loaded"]
    assert health["partners"][:2] == ["blocked", "no_files"]


def test_load_exits_1_when_a_source_fails_and_names_file_and_column(runner: CliRunner, tmp_path: Path) -> None:
    landing = _tiny_landing(tmp_path / "landing", break_crm=True)
    result = runner.invoke(cli, ["load", "--landing", str(landing), "--warehouse", str(tmp_path / "wh.duckdb")])
    assert result.exit_code == 1
    assert "error: crm: crm/customers.csv: required column 'segment' is missing" in result.stderr
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["load", "--source", "ledger"]).exit_code == 2
    assert runner.invoke(cli, ["generate", "--scale", "0"]).exit_code == 2
    assert runner.invoke(cli, ["generate", "--dirty", "0.9"]).exit_code == 2
    assert runner.invoke(cli, ["nonsense"]).exit_code == 2


def test_missing_landing_or_warehouse_exit_1_with_a_hint(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["load", "--landing", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "opsintel generate" in result.stderr
    result = runner.invoke(cli, ["status", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "run `opsintel load` first" in result.stderr


def test_contracts_commands(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["contracts", "dbt", "--check"])
    assert result.exit_code == 0 and "agree" in result.stdout
    listing = runner.invoke(cli, ["contracts", "list"]).stdout.splitlines()
    assert len(listing) == 27 and listing[0].split()[:2] == ["finance", "tenants"]
