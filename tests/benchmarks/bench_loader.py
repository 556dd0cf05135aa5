"""Benchmark: load a generated company into a fresh warehouse, then reload it unchanged.

Prints, per scale factor: rows read, seconds, rows/s and peak RSS of the loading process.
Each scale runs in its own subprocess so peak memory is that load's alone.

    python tests/benchmarks/bench_loader.py            # SF 1 and 10
    python tests/benchmarks/bench_loader.py 1 10 100   # chosen scales
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _measure(scale: float, workdir: Path) -> dict:
    from foundation.warehouse import Warehouse
    from ingestion.loader import load_landing

    landing = workdir / "landing"
    # Generated in another process so the peak RSS below is the load's alone.
    subprocess.run([sys.executable, "-m", "opsintel.cli", "generate", "--scale", str(scale),
                    "--out", str(landing), "--truth-out", str(workdir / "truth")],
                   check=True, capture_output=True)
    warehouse = Warehouse(workdir / "wh" / "opsintel.duckdb")
    started = time.perf_counter()
    first = load_landing(warehouse, landing)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    load_landing(warehouse, landing)
    reload_s = time.perf_counter() - started
    rows = sum(r.rows_read for r in first)
    return {
        "scale": scale,
        "rows": rows,
        "load_s": round(first_s, 2),
        "rows_per_s": round(rows / first_s),
        "reload_s": round(reload_s, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "warehouse_mib": round((workdir / "wh" / "opsintel.duckdb").stat().st_size / 2**20),
    }


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--one":
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(_measure(float(argv[1]), Path(tmp))))
        return
    scales = [float(a) for a in argv] or [1.0, 10.0]
    print(f"{'SF':>5} {'rows read':>12} {'load s':>8} {'rows/s':>10} {'reload s':>9} {'peak RSS MiB':>13} {'db MiB':>7}")
    for scale in scales:
        out = subprocess.run([sys.executable, __file__, "--one", str(scale)], capture_output=True, text=True, check=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{m['scale']:>5g} {m['rows']:>12,} {m['load_s']:>8} {m['rows_per_s']:>10,} {m['reload_s']:>9} {m['peak_rss_mib']:>13,} {m['warehouse_mib']:>7,}")


if __name__ == "__main__":
    main(sys.argv[1:])
