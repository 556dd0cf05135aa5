"""Kill loads and dbt builds at random moments and count what it costs: nothing, it should.

Generates a small company (2 tenants, scale 0.1, 2 % dirty rows) and a revised version of its
exports, then:

* loads: SIGKILLs ``load_landing`` (alternating the two versions) at seeded random moments over
  a load's duration; after each kill the snapshot and the working file must hold every source
  whole (one version or the other, no duplicate key), and the next load, run to the end, must
  equal a reference load row for row;
* builds: SIGKILLs ``dbt build`` inside ``Warehouse.build_copy()`` (with its worker process)
  while four readers query the marts; after each kill the working file and the published link
  must be unchanged, and the next build, run to the end, must equal a reference build.

    PYTHONPATH=. python tests/reports/fault_injection_report.py --load-kills 50 --build-kills 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resilience"))

from fault_company import make_company, reference_load
from fault_runs import (
    KillStats,
    build_kill_campaign,
    copy_warehouse,
    load_kill_campaign,
    make_rebuild_scene,
)

from foundation.warehouse import Warehouse

COLUMNS = ("writer", "kills tried", "kills during the run", "recoveries", "rows lost", "duplicates",
           "readers' errors", "problems")


def row(writer: str, stats: KillStats) -> tuple:
    return (writer, stats.tried, stats.landed, f"{stats.recoveries}/{stats.recovery_runs}", stats.rows_lost,
            stats.duplicates, stats.reader_errors, len(stats.problems))


def table(rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-kills", type=int, default=50)
    parser.add_argument("--build-kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    def say(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    rows: list[tuple] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="opsintel-faults-") as tmp:
        base = Path(tmp)
        say("generating the company and its reference loads")
        company = make_company(base / "company")
        if args.load_kills:
            warehouse = Warehouse(reference_load(company.original, base / "loads" / "opsintel.duckdb"))
            stats = load_kill_campaign(warehouse, company.landings, company.references, kills=args.load_kills,
                                       seed=args.seed, recover_each=True, progress=say)
            rows.append(row("load_landing", stats))
            problems += stats.problems
        if args.build_kills:
            say("building the reference (first build, revised billing, rebuild under 4 readers)")
            scene = make_rebuild_scene(company, base / "scene")
            say(f"reference rebuild took {scene.rebuild.seconds:.1f} s; readers made "
                f"{len(scene.readers.results)} queries, {len(scene.readers.errors)} errors")
            warehouse = Warehouse(copy_warehouse(scene.start.path, base / "builds" / "opsintel.duckdb"))
            stats = build_kill_campaign(warehouse, scene.reference.path, base / "dbt", kills=args.build_kills,
                                        seed=args.seed, duration=scene.rebuild.seconds, recover_each=True,
                                        progress=say)
            stats.reader_errors += len(scene.readers.errors)
            rows.append(row("dbt build (build_copy)", stats))
            problems += stats.problems
    print(table(rows))
    print(f"\nrecoveries: runs after a kill that completed and equal the reference row for row "
          f"(plus one final run). {time.perf_counter() - started:.0f} s in all.")
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems or any(r[4] or r[5] or r[6] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
