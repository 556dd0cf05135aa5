"""Where the quality checks write their Data Docs (``$OPSINTEL_QUALITY_DOCS``).

The default sits next to the warehouse's data folder: a warehouse at
``<data>/warehouse/opsintel.duckdb`` gets its docs in ``<data>/quality/docs``. The GX project
the docs are built from (stores of suites and validation results) lives beside them, in
``<docs folder>/../gx``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingestion.settings import warehouse_path

QUALITY_DOCS_ENV = "OPSINTEL_QUALITY_DOCS"


def docs_path(warehouse_file: Path | None = None) -> Path:
    """The Data Docs folder: ``$OPSINTEL_QUALITY_DOCS``, else ``quality/docs`` beside ``warehouse/``."""
    value = os.environ.get(QUALITY_DOCS_ENV, "").strip()
    if value:
        return Path(value).expanduser().resolve()
    warehouse_file = warehouse_file or warehouse_path()
    return warehouse_file.resolve().parent.parent / "quality" / "docs"


def gx_project_root(docs_dir: Path) -> Path:
    """Folder holding the GX file context (``gx/``) whose Data Docs site is ``docs_dir``."""
    return docs_dir.resolve().parent
