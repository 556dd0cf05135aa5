"""A writer in its own process, for the tests to kill, starve of disk or run as another user.

    python fault_worker.py load <warehouse> <landing> [<source> ...]
    python fault_worker.py build <warehouse> <work folder>
    python fault_worker.py fill <warehouse> <rows> [hold]
    python fault_worker.py commit-and-die <warehouse>
    python fault_worker.py cli <opsintel arguments ...>

``load`` runs ``load_landing``; ``build`` runs ``dbt build`` into ``Warehouse.build_copy()``;
``fill`` writes a table of <rows> random rows into ``build_copy()`` (a stand-in for dbt; with
``hold`` it then waits to be killed); ``commit-and-die`` commits a row into the working file
under ``exclusive()`` and SIGKILLs itself before the checkpoint, leaving the commit only in the
write-ahead log;
``cli`` runs the ``opsintel`` command line in this process. With ``--as-nobody`` first, the
process drops to uid/gid 65534 after its imports (the interpreter lives under /root, which
that user cannot read). Prints ``READY`` once imported; a ``WarehouseError`` prints
``WarehouseError: <message>`` and exits 3, so the caller tells it from a crash.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from foundation.settings import REPO_ROOT, dbt_writer_environment
from foundation.warehouse import Warehouse, WarehouseError, connect
from ingestion.loader import load_landing
from opsintel.cli import main as cli_main

NOBODY = 65534
AS_OF_DATE = "2026-10-31"
EXIT_WAREHOUSE_ERROR = 3


def dbt_build_command(work: Path) -> list[str]:
    dbt = Path(sys.executable).parent / "dbt"
    project = REPO_ROOT / "dbt_project"
    return [str(dbt), "build", "--project-dir", str(project), "--profiles-dir", str(project),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs")]


def dbt_environment(database: Path) -> dict[str, str]:
    return {**os.environ, **dbt_writer_environment(database), "OPSINTEL_AS_OF_DATE": AS_OF_DATE,
            "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def build(warehouse: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    with Warehouse(warehouse).build_copy() as scratch, open(work / "dbt.out", "w") as log:
        print(f"BUILDING {scratch}", flush=True)
        subprocess.run(dbt_build_command(work), env=dbt_environment(scratch), stdout=log,
                       stderr=subprocess.STDOUT, check=True)
    print("BUILT", flush=True)


def fill(warehouse: Path, rows: int, hold: bool) -> None:
    with Warehouse(warehouse).build_copy() as scratch:
        con = connect(scratch)
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.filler as select random() as a, random() as b, "
                    f"md5(random()::varchar) as c from range({rows})")
        con.close()
        print("FILLED", flush=True)
        if hold:
            time.sleep(600)


def commit_and_die(warehouse: Path) -> None:
    """An in-place writer (``exclusive()``, as an external tool would use it) killed after a commit."""
    with Warehouse(warehouse).exclusive() as path:
        con = connect(path)
        con.execute("create table if not exists wal_probe (note varchar)")
        con.execute("insert into wal_probe values ('committed before the kill')")
        os.kill(os.getpid(), signal.SIGKILL)


def load(warehouse: Path, landing: Path, sources: list[str]) -> None:
    results = load_landing(Warehouse(warehouse), landing, sources or None)
    print(json.dumps({r.source: [r.outcome, r.message] for r in results}), flush=True)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--as-nobody":
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        argv = argv[1:]
    command, args = argv[0], argv[1:]
    print("READY", flush=True)
    try:
        if command == "load":
            load(Path(args[0]), Path(args[1]), args[2:])
        elif command == "build":
            build(Path(args[0]), Path(args[1]))
        elif command == "fill":
            fill(Path(args[0]), int(args[1]), hold=args[2:] == ["hold"])
        elif command == "commit-and-die":
            commit_and_die(Path(args[0]))
        elif command == "cli":
            sys.argv = ["opsintel", *args]
            cli_main()
        else:
            raise SystemExit(f"unknown command {command!r}")
    except WarehouseError as exc:
        print(f"WarehouseError: {exc}", flush=True)
        return EXIT_WAREHOUSE_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
