"""A full disk and a folder the writer may not write: one clear error line, nothing changed.

Disk full: the warehouse folder is moved onto a small tmpfs (we run as root); where mounting
is not permitted the writer runs under RLIMIT_FSIZE instead (SIGXFSZ ignored, so writes fail
with EFBIG), and the test output says which. FAULT_TESTS_DISK_FULL=rlimit forces the fallback. Permission denied: root ignores file modes, so
the writer runs as uid/gid 65534.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_checks import source_fingerprints
from fault_company import Company, reference_load
from fault_runs import WorkerRun, copy_warehouse, file_digest, leftovers, run_worker
from fault_worker import NOBODY

from foundation.warehouse import Warehouse
from ingestion.loader import load_landing

FORCE_RLIMIT = os.environ.get("FAULT_TESTS_DISK_FULL") == "rlimit"
FILLER_ROWS = 60_000  # about 3 MB: fits beside the scratch copy, its snapshot then does not


@dataclass(frozen=True)
class State:
    published: Path | None
    published_digest: str
    working: dict

    @classmethod
    def of(cls, warehouse: Warehouse) -> State:
        snapshot = warehouse.current_snapshot()
        return cls(snapshot, file_digest(snapshot) if snapshot else "none", source_fingerprints(warehouse.path))


def one_error_line(run: WorkerRun) -> str:
    lines = [line for line in run.output.splitlines() if line not in ("READY", "FILLED")]
    assert "Traceback" not in run.output
    assert len(lines) == 1, run.output
    return lines[0]


def cli_error_line(run: WorkerRun) -> str:
    assert run.returncode == 1, run.output
    assert "Traceback" not in run.output
    errors = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.output
    return errors[0]


# -- disk full -----------------------------------------------------------------------------


@dataclass
class SmallDisk:
    """The warehouse folder on a disk of ``size`` bytes, or under a file size limit."""

    warehouse: Warehouse
    mechanism: str  # "tmpfs" or "RLIMIT_FSIZE"
    preexec: Callable[[], None] | None = None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[Warehouse, int, int], SmallDisk]]:
    """Move a warehouse onto a tmpfs with ``headroom`` bytes free (else: limit files to ``limit``)."""
    mounted: list[Path] = []

    def make(source: Warehouse, headroom: int, limit: int) -> SmallDisk:
        disk = tmp_path / "disk"
        disk.mkdir()
        used = sum(p.stat().st_size for p in source.path.parent.rglob("*") if p.is_file() and not p.is_symlink())
        size_kb = (used + headroom) // 1024 + 64  # files round up to pages; 64 KiB for that
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(disk)],
                               check=False, capture_output=True, text=True) if not FORCE_RLIMIT else None
        if mount is None:
            print("\nRLIMIT_FSIZE forced by FAULT_TESTS_DISK_FULL=rlimit")
        elif mount.returncode == 0:
            mounted.append(disk)
            print(f"\ndisk full by a {size_kb} KiB tmpfs")
            return SmallDisk(Warehouse(copy_warehouse(source.path, disk / "wh" / source.path.name)), "tmpfs")
        else:
            print(f"\nmount not permitted ({mount.stderr.strip()}): disk full by RLIMIT_FSIZE={limit}")

        def limit_file_size() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        target = copy_warehouse(source.path, disk / "wh" / source.path.name)
        return SmallDisk(Warehouse(target), "RLIMIT_FSIZE", limit_file_size)

    yield make
    for disk in mounted:
        subprocess.run(["umount", "--lazy", str(disk)], check=False)


NO_SPACE = {"tmpfs": "No space left on device", "RLIMIT_FSIZE": "File too large"}


@pytest.fixture
def finance_only(company: Company, tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "finance" / "opsintel.duckdb")
    assert [r.outcome for r in load_landing(warehouse, company.original, ["finance"])] == ["loaded"]
    return warehouse


def test_a_load_that_runs_out_of_space_fails_in_one_line_and_changes_nothing(
    company: Company, finance_only: Warehouse, small_disk: Callable[..., SmallDisk]
) -> None:
    size = finance_only.path.stat().st_size
    # Room for the scratch copy and the snapshot the writer reserves, not for the billing batch.
    disk = small_disk(finance_only, headroom=2 * size, limit=size + 64 * 1024)
    before = State.of(disk.warehouse)
    run = run_worker(["load", str(disk.warehouse.path), str(company.original), "billing"], preexec_fn=disk.preexec)
    assert run.returncode == 3, run.output
    line = one_error_line(run)
    assert line.startswith(f"WarehouseError: cannot write warehouse {disk.warehouse.path}: ")
    assert NO_SPACE[disk.mechanism] in line
    assert State.of(disk.warehouse) == before

    cli = run_worker(["cli", "load", "--warehouse", str(disk.warehouse.path), "--landing", str(company.original),
                      "--source", "billing"], preexec_fn=disk.preexec)
    assert NO_SPACE[disk.mechanism] in cli_error_line(cli)
    assert State.of(disk.warehouse) == before


def test_a_build_whose_snapshot_does_not_fit_fails_in_one_line_and_changes_nothing(
    company: Company, tmp_path: Path, small_disk: Callable[..., SmallDisk]
) -> None:
    loaded = Warehouse(reference_load(company.original, tmp_path / "full" / "opsintel.duckdb"))
    size = loaded.path.stat().st_size
    # Room for the scratch copy and the snapshot of the working file, plus 1 MB: the filler
    # (~3 MB) still fits into the scratch copy, but its snapshot then does not.
    disk = small_disk(loaded, headroom=2 * size + 1_000_000, limit=size // 2)
    before = State.of(disk.warehouse)
    run = run_worker(["fill", str(disk.warehouse.path), str(FILLER_ROWS)], preexec_fn=disk.preexec)
    assert run.returncode == 3, run.output
    line = one_error_line(run)
    expected = ("WarehouseError: cannot publish warehouse snapshot" if disk.mechanism == "tmpfs"
                else f"WarehouseError: cannot copy warehouse {disk.warehouse.path}")
    assert line.startswith(expected), line
    assert NO_SPACE[disk.mechanism] in line
    assert State.of(disk.warehouse) == before
    assert leftovers(disk.warehouse) == []


# -- permission denied ---------------------------------------------------------------------


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder uid 65534 can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="opsintel-resilience-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def root_owned(company: Company, shared_folder: Path) -> tuple[Warehouse, Path]:
    """A published warehouse (finance loaded) and a landing copy, owned by root, readable by all."""
    landing = shared_folder / "landing"
    shutil.copytree(company.original / "finance", landing / "finance")
    warehouse = Warehouse(shared_folder / "wh" / "opsintel.duckdb")
    load_landing(warehouse, landing, ["finance"])
    for path in shared_folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    return warehouse, landing


def as_nobody(args: list[str]) -> WorkerRun:
    return run_worker(["--as-nobody", *args], cwd="/")


def test_a_warehouse_folder_the_writer_may_not_write_is_one_clear_error(root_owned: tuple[Warehouse, Path]) -> None:
    warehouse, landing = root_owned
    before = (State.of(warehouse), file_digest(warehouse.path))
    expected = f"cannot write warehouse folder {warehouse.path.parent}: permission denied"

    load = as_nobody(["load", str(warehouse.path), str(landing)])
    assert load.returncode == 3 and one_error_line(load) == f"WarehouseError: {expected}"
    build = as_nobody(["fill", str(warehouse.path), "10"])
    assert build.returncode == 3 and one_error_line(build) == f"WarehouseError: {expected}"
    cli = as_nobody(["cli", "load", "--warehouse", str(warehouse.path), "--landing", str(landing)])
    assert cli_error_line(cli) == f"error: {expected}"
    assert (State.of(warehouse), file_digest(warehouse.path)) == before


def test_a_snapshot_folder_the_writer_may_not_write_stops_it_before_it_loads(
    root_owned: tuple[Warehouse, Path], company: Company
) -> None:
    """Writable working file, unwritable snapshots/: refusing late would leave a load unpublished."""
    warehouse, landing = root_owned
    shutil.copytree(company.original / "crm", landing / "crm")
    for path in [warehouse.path.parent, warehouse.path, warehouse.lock_path]:
        os.chown(path, NOBODY, NOBODY)
    before = (State.of(warehouse), file_digest(warehouse.path))
    load = as_nobody(["load", str(warehouse.path), str(landing), "crm"])
    assert one_error_line(load) == f"WarehouseError: cannot write warehouse folder {warehouse.snapshots_dir}: permission denied"
    assert (State.of(warehouse), file_digest(warehouse.path)) == before


def test_a_warehouse_folder_that_cannot_be_created_is_one_clear_error(root_owned: tuple[Warehouse, Path]) -> None:
    warehouse, landing = root_owned
    missing = warehouse.path.parent / "new" / "opsintel.duckdb"
    cli = as_nobody(["cli", "load", "--warehouse", str(missing), "--landing", str(landing)])
    assert cli_error_line(cli) == f"error: cannot create warehouse folder {missing.parent}: Permission denied"
    assert not missing.parent.exists()
