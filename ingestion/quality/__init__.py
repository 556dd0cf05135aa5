"""Data quality of the raw warehouse: GX suites per source from the contracts and
``models/expectations/``, outcomes in ``quality.check_results``, Data Docs as static HTML.

``check_names`` and ``blocked_sources`` do not import Great Expectations (slow to import);
``run_source_checks`` does, on first call.
"""

from __future__ import annotations

import os

# Before any module of this package imports GX, which reads it at import time (the context
# config says analytics_enabled: false as well). Set here so import order cannot matter.
os.environ["GX_ANALYTICS_ENABLED"] = "False"

from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.quality.business import ExpectationsFileError
from ingestion.quality.outcomes import CheckOutcome
from ingestion.quality.store import blocked_sources
from ingestion.quality.suites import check_names

if TYPE_CHECKING:
    from foundation.warehouse import Warehouse


def run_source_checks(warehouse: Warehouse, source: str, *, batch_id: str | None = None,
                      docs_dir: Path | None = None) -> list[CheckOutcome]:
    """See ``ingestion.quality.runner.run_source_checks``."""
    from ingestion.quality.runner import run_source_checks as run

    return run(warehouse, source, batch_id=batch_id, docs_dir=docs_dir)


__all__ = [
    "CheckOutcome",
    "ExpectationsFileError",
    "blocked_sources",
    "check_names",
    "run_source_checks",
]
