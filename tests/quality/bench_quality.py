"""Print how long the quality checks take for every source on a generated company.

    python tests/quality/bench_quality.py SCALE [TENANTS] [WORKDIR]

Generates into WORKDIR (default /tmp/opsintel-bench-quality), loads, then runs
``run_source_checks`` per source; prints seconds per source, the total and the docs size.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing
from ingestion.quality import run_source_checks
from models import SOURCE_SYSTEMS


def main(scale: float, tenants: int, workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    generate(workdir / "landing", workdir / "truth", tenants=tenants, scale=scale, seed=42, dirty_rate=0.02)
    warehouse = Warehouse(workdir / "warehouse" / "opsintel.duckdb")
    load_landing(warehouse, workdir / "landing")
    docs = workdir / "quality" / "docs"
    started = time.perf_counter()
    for source in SOURCE_SYSTEMS:
        t0 = time.perf_counter()
        outcomes = run_source_checks(warehouse, source, docs_dir=docs)
        failed = sum(not o.passed for o in outcomes)
        print(f"{source:12s} {len(outcomes):4d} checks {failed:3d} failed {time.perf_counter() - t0:6.1f} s")
    size = sum(p.stat().st_size for p in docs.rglob("*") if p.is_file()) / 2**20
    print(f"SF={scale} tenants={tenants}: all sources {time.perf_counter() - started:.1f} s "
          f"(first call includes importing GX); Data Docs {size:.1f} MiB")


if __name__ == "__main__":
    main(float(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10,
         Path(sys.argv[3]) if len(sys.argv) > 3 else Path("/tmp/opsintel-bench-quality"))
