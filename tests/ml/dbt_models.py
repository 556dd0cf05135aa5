"""Build the dbt models of the model steps (``models/marts/ml``) on a test warehouse.

The steps read these models, so a test on a hand-built or trimmed warehouse builds them there
first, as of the date it wants. dbt runs on one fixed path per as-of date and process (the file
is moved there and back) with one target folder, so its parse is reused from one build to the
next (a new path or date makes dbt parse the whole project again, about half a minute).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_runner import run_dbt

ML_MODELS = ("path:models/marts/ml",)


@cache
def _work(as_of: date) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"ml-dbt-models-{as_of.isoformat()}-"))


def build_ml_models(warehouse: Path, as_of: date, select: Sequence[str] = ML_MODELS) -> None:
    """``dbt run`` of ``select`` (default: every ML model) on ``warehouse`` as of ``as_of``;
    the tables they read must be there already."""
    work = _work(as_of)
    fixed = work / "warehouse.duckdb"
    shutil.move(warehouse, fixed)
    try:
        run = run_dbt(["run", "-s", *select, "--vars", f"{{as_of_date: '{as_of.isoformat()}'}}"],
                      fixed, work)
    finally:
        shutil.move(fixed, warehouse)
    failed = [r.node.name for r in run.node_results if str(r.status) != "success"]
    assert run.result.success and not failed, (failed, run.result.exception, run.warnings[:3])
