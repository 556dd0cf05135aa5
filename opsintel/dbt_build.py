"""`opsintel dbt`: dbt commands through the warehouse's writer lock, or into a private copy.

A dbt command that writes (build, run, test, seed, snapshot, and any command not known to
only read) takes the writer lock and runs on a scratch copy of the working file
(``Warehouse.build_copy``): when dbt succeeds the copy replaces the working file and is
published for the dashboards and ``opsintel ml``; when it fails neither changes. Commands
that only read (parse, compile, ls, show, docs, debug, source freshness, deps, clean) run
directly on the working file, without the lock: the profile opens it read-only for them.

dbt learns it may write from ``$OPSINTEL_DBT_WRITER``, the path of the copy it was handed;
without it the project's guard (dbt_project/macros/warehouse_writer_guard.sql) stops a plain
``dbt build`` before it writes anything.

``dev=True`` does the same on a private warehouse beside the production one,
``dev/<user>.duckdb``, seeded from the published snapshot when missing or with ``fresh``; the
production file and its snapshots are never opened for writing.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from foundation import settings
from foundation.warehouse import Warehouse, WarehouseError

# First word of a dbt command that never changes the warehouse. A global flag given before the
# command can make a writing command look like one of these; the guard then refuses it.
READ_ONLY_COMMANDS = frozenset(
    {"parse", "compile", "ls", "list", "show", "docs", "debug", "source", "deps", "clean"}
)
_HELP_FLAGS = frozenset({"-h", "--help", "--version"})


class DbtFailed(RuntimeError):
    """dbt did not run or exited non-zero; the message says why in one line."""

    def __init__(self, message: str, returncode: int = 1) -> None:
        super().__init__(message)
        self.returncode = returncode

    @classmethod
    def exited(cls, command: str, returncode: int, log_file: Path, *, unchanged: bool) -> DbtFailed:
        outcome = "; the warehouse and its published snapshot are unchanged" if unchanged else ""
        return cls(f"dbt {command} failed (exit {returncode}){outcome}; dbt's log: {log_file}", returncode)


@dataclass(frozen=True)
class DbtOutcome:
    warehouse: Path  # the file dbt built (the working file, or the private copy)
    published: Path | None  # the snapshot published by this run; None for read-only commands


def dbt_command(args: Sequence[str]) -> str:
    """The dbt command word of ``args`` (``build``, ``source``, ...); empty when there is none."""
    return next((arg for arg in args if not arg.startswith("-")), "")


def writes_warehouse(args: Sequence[str]) -> bool:
    """Whether ``dbt <args>`` may change the warehouse, so it needs the writer lock."""
    if _HELP_FLAGS.intersection(args):
        return False
    return dbt_command(args) not in READ_ONLY_COMMANDS


def dev_warehouse_path(production: Path, user: str | None = None) -> Path:
    """The private warehouse of ``user`` (default: the login name), beside the production one."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", user or _login_name()).lstrip(".") or "analyst"
    return production.parent / "dev" / f"{name}.duckdb"


def run_dbt(
    args: Sequence[str],
    warehouse: Path,
    *,
    dev: bool = False,
    fresh: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> DbtOutcome:
    """``dbt <args>`` on ``warehouse`` (or its private copy): locked, copied and published if it writes."""
    production = Warehouse(warehouse.resolve())
    target = Warehouse(dev_warehouse_path(production.path)) if dev else production
    needs_seed = dev and (fresh or not target.path.exists())
    if not writes_warehouse(args):
        if needs_seed:
            with target.build_copy() as scratch:
                _copy_published(production, scratch, progress)
        _run(args, target.path, writer=False)
        return DbtOutcome(target.path, None)
    progress(f"dbt {dbt_command(args)} on a scratch copy of {target.path}, under its writer lock")
    with target.build_copy() as scratch:
        if needs_seed:
            _copy_published(production, scratch, progress)
        _run(args, scratch, writer=True)
    return DbtOutcome(target.path, target.current_snapshot())


def _run(args: Sequence[str], database: Path, *, writer: bool) -> None:
    """Run dbt in its own process on ``database``; raise ``DbtFailed`` when it fails."""
    dbt = Path(sys.executable).parent / "dbt"
    if not dbt.exists():
        raise DbtFailed(f"dbt is not installed beside {sys.executable} (run `make install`)")
    env = {**os.environ, "DBT_PROJECT_DIR": str(settings.DBT_PROJECT_DIR), "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR)}
    env.setdefault("DBT_LOG_PATH", str(settings.DBT_PROJECT_DIR / "logs"))
    env.pop(settings.DBT_WRITER_ENV, None)  # only the copy handed out below may be written
    env.update(settings.dbt_writer_environment(database) if writer else {settings.WAREHOUSE_ENV: str(database)})
    done = subprocess.run([str(dbt), *args], env=env, check=False)
    if done.returncode != 0:
        raise DbtFailed.exited(dbt_command(args), done.returncode, _log_file(args, env), unchanged=writer)


def _copy_published(production: Warehouse, scratch: Path, progress: Callable[[str], None]) -> None:
    """Start a private copy from what readers see now: the published snapshot."""
    snapshot = production.current_snapshot()
    if snapshot is None:
        raise WarehouseError(
            f"no published warehouse at {production.published_path} to copy: run `opsintel load` first"
        )
    progress(f"copying the published snapshot {snapshot}")
    try:
        shutil.copyfile(snapshot, scratch)
    except OSError as exc:
        raise WarehouseError(f"cannot copy {snapshot} to {scratch}: {exc.strerror}") from exc


def _log_file(args: Sequence[str], env: dict[str, str]) -> Path:
    """Where dbt wrote its log: ``--log-path`` if given, else ``$DBT_LOG_PATH``."""
    folder = env["DBT_LOG_PATH"]
    for i, arg in enumerate(args):
        if arg == "--log-path" and i + 1 < len(args):
            folder = args[i + 1]
        elif arg.startswith("--log-path="):
            folder = arg.split("=", 1)[1]
    return Path(folder).expanduser().resolve() / "dbt.log"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "analyst"
