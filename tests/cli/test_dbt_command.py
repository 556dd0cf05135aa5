"""`opsintel dbt`: dbt writes through the writer lock and publishes; plain `dbt build` refuses.

A one-tenant company at scale 0.05 is generated and loaded once (raw tables only, published);
every test builds on its own copy. dbt runs for real, with target/ and its log outside the
repository, and builds `+dim_tenant` (one staging view, one mart table, their tests).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from foundation.settings import REPO_ROOT
from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing
from opsintel.cli import cli
from orchestration.resources import WarehouseResource

AS_OF_DATE = "2026-10-31"
DBT_PROJECT = REPO_ROOT / "dbt_project"
SMALL_BUILD = ["-s", "+dim_tenant"]
BREAKS_DIM_TENANT = ["--vars", "{group_currency: \"US'D\"}"]  # a quote inside the SQL literal
REFUSAL = "in place and publish nothing; run `opsintel dbt"


@dataclass
class Copy:
    """A loaded, published warehouse of one test, and where its dbt artefacts go."""

    path: Path
    work: Path

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.path)

    def dbt_folders(self) -> list[str]:
        return ["--target-path", str(self.work / "target")]

    def state(self) -> dict[str, str]:
        """Every file of the warehouse folder (snapshots and links included) by its sha256."""
        return {str(p.relative_to(self.path.parent)): _digest(p)
                for p in sorted(self.path.parent.rglob("*")) if p.is_file() or p.is_symlink()}

    def tenant_ids(self) -> list[str]:
        con = self.warehouse.reader()
        try:
            return [r[0] for r in con.execute("select distinct tenant_id from raw.tenants order by 1").fetchall()]
        finally:
            con.close()


def _digest(path: Path) -> str:
    if path.is_symlink():
        return f"-> {os.readlink(path)}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _marts(snapshot: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _has_table(snapshot: Path, schema: str, table: str) -> bool:
    return _marts(snapshot, "select count(*) from information_schema.tables "
                            f"where table_schema = '{schema}' and table_name = '{table}'")[0][0] == 1


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("dbt-command")
    generate(base / "landing", base / "truth", tenants=1, scale=0.05, seed=5)
    path = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(path), base / "landing")
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    return path


@pytest.fixture()
def copy(loaded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Copy:
    """A copy of the loaded warehouse; dbt's target/ is shared so dbt parses the project once."""
    path = tmp_path / "warehouse" / "opsintel.duckdb"
    path.parent.mkdir()
    shutil.copyfile(loaded, path)
    with Warehouse(path).exclusive():  # publishes it, as a load does (lock file included)
        pass
    monkeypatch.setenv("OPSINTEL_AS_OF_DATE", AS_OF_DATE)
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt-logs"))
    monkeypatch.setenv("OPSINTEL_WAREHOUSE", str(path))  # the production warehouse of this test
    monkeypatch.delenv("OPSINTEL_DBT_WRITER", raising=False)
    return Copy(path, loaded.parent.parent / "dbt")


def _opsintel_dbt(copy: Copy, *args: str) -> Result:
    return CliRunner().invoke(cli, ["dbt", "--warehouse", str(copy.path), *args, *copy.dbt_folders()])


def _plain_dbt(copy: Copy, *args: str) -> subprocess.CompletedProcess[str]:
    """`cd dbt_project && dbt <args>`, as the dbt documentation has an analyst run it."""
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run([str(dbt), *args, *copy.dbt_folders()], cwd=DBT_PROJECT, check=False,
                          capture_output=True, text=True, timeout=600)


def test_build_publishes_a_snapshot_readers_see(copy: Copy) -> None:
    before = copy.warehouse.current_snapshot()
    assert before is not None and not _has_table(before, "marts", "dim_tenant")

    result = _opsintel_dbt(copy, "build", *SMALL_BUILD)

    assert result.exit_code == 0, result.output
    published = copy.warehouse.current_snapshot()
    assert published is not None and published != before
    assert f"Published {copy.path} as {published}" in result.stdout
    assert _marts(published, "select tenant_id, group_currency from marts.dim_tenant order by 1") == [
        (tenant, "USD") for tenant in copy.tenant_ids()]
    assert _digest(copy.path) == _digest(published)  # the working file is the build, published


def test_failed_build_changes_nothing_and_says_so_in_one_line(copy: Copy) -> None:
    before = copy.state()

    result = _opsintel_dbt(copy, "build", *SMALL_BUILD, *BREAKS_DIM_TENANT)

    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    log = Path(os.environ["DBT_LOG_PATH"]).resolve() / "dbt.log"
    expected = (f"error: dbt build failed (exit 1); the warehouse and its published snapshot "
                f"are unchanged; dbt's log: {log}")
    assert errors == [expected]
    assert "dim_tenant" in log.read_text()
    assert "Traceback" not in result.output
    assert copy.state() == before  # working file, snapshots and link byte for byte; no scratch left


def test_read_only_commands_take_no_lock_and_publish_nothing(copy: Copy) -> None:
    before = copy.state()
    result = _opsintel_dbt(copy, "ls", *SMALL_BUILD, "--resource-type", "model", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Published" not in result.stdout
    assert copy.state() == before


@pytest.mark.parametrize("command", [["build", *SMALL_BUILD], ["test", "-s", "stg_finance__tenants"],
                                     ["run", "-s", "stg_finance__tenants"]])
def test_plain_dbt_refuses_to_write_the_warehouse(copy: Copy, command: list[str]) -> None:
    before = copy.state()

    done = _plain_dbt(copy, *command)

    assert done.returncode != 0
    refusal = [line.strip() for line in done.stdout.splitlines() if REFUSAL in line]
    expected = (f"`dbt {command[0]}` would write the warehouse {copy.path} in place and publish "
                f"nothing; run `opsintel dbt {command[0]} ...` instead (or `opsintel dbt --dev "
                f"{command[0]} ...` for a private copy)")
    assert refusal == [expected], done.stdout
    assert copy.state() == before


def test_plain_read_only_commands_still_run_and_cannot_write(copy: Copy) -> None:
    before = copy.state()
    for command in (["parse"], ["ls", *SMALL_BUILD], ["compile", "-s", "stg_finance__tenants"],
                    ["source", "freshness", "-s", "source:raw.tenants"]):
        done = _plain_dbt(copy, *command)
        assert done.returncode == 0, f"dbt {' '.join(command)}: {done.stdout[-2000:]}"
    # The profile opens the warehouse read-only for everything but the writer lock's copy.
    done = _plain_dbt(copy, "show", "--inline", "create table raw.intruder as select 1 as x")
    assert done.returncode != 0 and "read-only mode" in done.stdout
    assert copy.state() == before


def test_dev_builds_a_private_copy_and_leaves_production_alone(copy: Copy) -> None:
    production = copy.state()
    dev = copy.path.parent / "dev"

    result = _opsintel_dbt(copy, "--dev", "build", *SMALL_BUILD, "--vars", "{group_currency: EUR}")

    assert result.exit_code == 0, result.output
    [private] = [path for path in dev.glob("*.duckdb") if not path.is_symlink()]
    assert f"Private warehouse: {private}" in result.stderr
    dev_snapshot = Warehouse(private).current_snapshot()
    assert dev_snapshot is not None and dev_snapshot.parent == dev / "snapshots"
    assert _marts(dev_snapshot, "select tenant_id, group_currency from marts.dim_tenant order by 1") == [
        (tenant, "EUR") for tenant in copy.tenant_ids()]
    outside_dev = {name: digest for name, digest in copy.state().items() if not name.startswith("dev/")}
    assert outside_dev == production
    assert not _has_table(copy.warehouse.current_snapshot(), "marts", "dim_tenant")

    # --fresh starts again from the published warehouse (which has no marts).
    again = _opsintel_dbt(copy, "--dev", "--fresh", "build", "-s", "stg_finance__tenants")
    assert again.exit_code == 0, again.output
    fresh_snapshot = Warehouse(private).current_snapshot()
    assert not _has_table(fresh_snapshot, "marts", "dim_tenant")
    assert _marts(fresh_snapshot, "select count(*) from staging.stg_finance__tenants") == [(len(copy.tenant_ids()),)]


def test_dagster_dbt_environment_lets_dbt_write_only_the_scratch_copy(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    production, scratch = tmp_path / "opsintel.duckdb", tmp_path / ".opsintel.duckdb.scratch.tmp"
    monkeypatch.setenv("OPSINTEL_WAREHOUSE", str(production))
    monkeypatch.setenv("OPSINTEL_DBT_WRITER", "stale")
    resource = WarehouseResource(path=str(production))
    with resource.dbt_environment(scratch):
        assert (os.environ["OPSINTEL_WAREHOUSE"], os.environ["OPSINTEL_DBT_WRITER"]) == (str(scratch), str(scratch))
    with resource.dbt_environment():
        assert os.environ["OPSINTEL_WAREHOUSE"] == str(production)
        assert "OPSINTEL_DBT_WRITER" not in os.environ
    assert (os.environ["OPSINTEL_WAREHOUSE"], os.environ["OPSINTEL_DBT_WRITER"]) == (str(production), "stale")
