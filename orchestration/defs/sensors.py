"""Load a source system as soon as new or changed exports land for it.

The cursor remembers ``{path relative to the landing folder: [size, mtime_ns]}`` of every file
a load would read. A source whose files differ from the cursor gets one run of its raw tables;
the run key is the fingerprint of the changed files, so one change never runs twice. Files
changed within the last few seconds may still be being written: their source waits a tick.
"""

import hashlib
import json
import time
from pathlib import Path

import dagster as dg

from ingestion.loader import discover_files
from models import contracts_by_source
from orchestration.defs.ingestion import RAW_TABLES, raw_asset_key
from orchestration.resources import LandingResource

# A file modified more recently than this is assumed to be still being written.
SETTLE_SECONDS = 5.0

Fingerprints = dict[str, list[int]]  # relative path -> [size, mtime_ns]


def source_fingerprints(landing: Path, source: str) -> Fingerprints:
    fingerprints: Fingerprints = {}
    for path in discover_files(landing, source):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between listing and stat
            continue
        fingerprints[path.relative_to(landing).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return fingerprints


def _run_key(source: str, changed: Fingerprints) -> str:
    digest = hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:16]
    return f"{source}:{digest}"


@dg.sensor(
    name="landing_files",
    target=RAW_TABLES,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Loads a source system into raw when its files in the landing folder are new "
    "or changed (one run per source and change).",
)
def landing_sensor(
    context: dg.SensorEvaluationContext, landing: LandingResource
) -> dg.SensorResult | dg.SkipReason:
    root = landing.get_path()
    if not root.is_dir():
        return dg.SkipReason(f"landing folder {root} does not exist")
    previous: Fingerprints = json.loads(context.cursor) if context.cursor else {}
    cursor: Fingerprints = {}
    run_requests: list[dg.RunRequest] = []
    settling: list[str] = []
    settled_before_ns = time.time_ns() - int(SETTLE_SECONDS * 1e9)
    for source, contracts in contracts_by_source().items():
        current = source_fingerprints(root, source)
        changed = {path: fp for path, fp in current.items() if previous.get(path) != fp}
        if any(mtime_ns > settled_before_ns for _, mtime_ns in changed.values()):
            settling.append(source)
            cursor.update({p: fp for p, fp in previous.items() if p.startswith(f"{source}/")})
            continue
        cursor.update(current)
        if changed:
            run_requests.append(
                dg.RunRequest(
                    run_key=_run_key(source, changed),
                    asset_selection=[raw_asset_key(c.name) for c in contracts],
                    tags={"opsintel/source": source, "opsintel/trigger": "landing_files"},
                )
            )
    new_cursor = json.dumps(cursor, sort_keys=True)
    if run_requests:
        context.log.info(
            f"changed sources: {', '.join(r.tags['opsintel/source'] for r in run_requests)}"
        )
        return dg.SensorResult(run_requests=run_requests, cursor=new_cursor)
    reason = (
        f"files still being written for {', '.join(settling)}"
        if settling
        else f"no new or changed files in {root}"
    )
    return dg.SensorResult(skip_reason=reason, cursor=new_cursor)
