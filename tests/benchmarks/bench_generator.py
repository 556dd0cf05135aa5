"""Generator benchmark: wall time, rows/s and peak RSS per scale factor.

Each scale runs in its own subprocess so ``ru_maxrss`` is that run's peak alone.

    PYTHONPATH=. python tests/benchmarks/bench_generator.py            # SF 1, 10, 100
    PYTHONPATH=. python tests/benchmarks/bench_generator.py 1 10       # chosen scales
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from generator import generate
out, truth, scale = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
start = time.perf_counter()
summary = generate(out, truth, tenants=10, scale=scale, seed=42)
seconds = time.perf_counter() - start
size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
print(json.dumps({"seconds": seconds, "rows": sum(summary.rows.values()),
                  "usage_events": summary.rows["usage_events"],
                  "invoice_lines": summary.rows["invoice_lines"], "bytes": size,
                  "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run(scale: float) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"opsintel-bench-{scale}-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, f"{tmp}/out", f"{tmp}/truth", str(scale)],
            check=True, capture_output=True, text=True, env=env)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["wall_seconds"] = time.perf_counter() - started
        return result


def main(argv: list[str]) -> None:
    scales = [float(a) for a in argv] or [1.0, 10.0, 100.0]
    print(f"{'SF':>6} {'seconds':>9} {'rows':>13} {'rows/s':>10} {'usage events':>13} "
          f"{'output MB':>10} {'peak RSS MB':>12}")
    for scale in scales:
        r = run(scale)
        print(f"{scale:>6g} {r['seconds']:>9.1f} {r['rows']:>13,} "
              f"{r['rows'] / r['seconds']:>10,.0f} {r['usage_events']:>13,} "
              f"{r['bytes'] / 1e6:>10.1f} {r['peak_rss_kib'] / 1024:>12.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
