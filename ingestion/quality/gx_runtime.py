"""Great Expectations, imported with analytics off, and the file context the checks run in.

The context is a copy of ``models/gx/great_expectations.yml`` placed beside the Data Docs
folder, with the docs site pointed at that folder: suites and validation results are written
there, never into the repository. One process at a time uses a given context (a file lock), so
two sources checked at once do not interleave their Data Docs.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from foundation.settings import REPO_ROOT

# Also set by the package __init__ (which runs first); repeated here for direct imports.
os.environ["GX_ANALYTICS_ENABLED"] = "False"

import great_expectations as gx
from great_expectations.data_context import FileDataContext
from great_expectations.expectations.registry import get_expectation_impl

__all__ = ["DOCS_SITE", "get_expectation_impl", "gx", "quality_context"]

PROJECT_CONFIG = REPO_ROOT / "models" / "gx" / "great_expectations.yml"
DOCS_SITE = "local_site"


@contextmanager
def quality_context(docs_dir: Path) -> Iterator[FileDataContext]:
    """The GX file context whose Data Docs site is ``docs_dir``, held exclusively."""
    root = docs_dir.resolve().parent  # the GX file context (gx/) sits beside its Data Docs
    gx_dir = root / "gx"
    gx_dir.mkdir(parents=True, exist_ok=True)
    docs_dir.mkdir(parents=True, exist_ok=True)
    with open(gx_dir / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _write_config(gx_dir / "great_expectations.yml", docs_dir)
            yield gx.get_context(mode="file", project_root_dir=root)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_config(target: Path, docs_dir: Path) -> None:
    config = yaml.safe_load(PROJECT_CONFIG.read_text())
    if target.exists():  # keep the data sources GX registered in earlier runs
        previous = yaml.safe_load(target.read_text()) or {}
        if "fluent_datasources" in previous:
            config["fluent_datasources"] = previous["fluent_datasources"]
    config["analytics_enabled"] = False
    config["data_docs_sites"][DOCS_SITE]["store_backend"]["base_directory"] = str(docs_dir.resolve())
    target.write_text(yaml.safe_dump(config, sort_keys=False))
