"""Data Docs: GX's static HTML site of the suites and their latest validation per source.

Only the latest run of a source is kept (older results of that source are dropped from the
store and the site), so the docs show the current state and do not grow run after run.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from great_expectations.data_context import FileDataContext
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
)

from ingestion.quality.gx_runtime import DOCS_SITE

# GX's pages load their logo from GX's S3 bucket, the navbar's with the data context id in the
# URL: a beacon. The site ships the logo under static/images, so pages and styles use that.
_REMOTE_ASSET = re.compile(r"https://great-expectations-web-assets\.s3\.[^\"')\s]*")


def forget_source_results(context: FileDataContext, docs_dir: Path, source: str) -> None:
    """Drop the stored validation results (and their pages) of ``source``'s earlier runs."""
    prefix = f"raw_{source}."
    store = context.validation_results_store
    for key in store.list_keys():
        if key.expectation_suite_identifier.name.startswith(prefix):
            store.remove_key(key)
    shutil.rmtree(docs_dir / "validations" / f"raw_{source}", ignore_errors=True)


def build_source_docs(context: FileDataContext, docs_dir: Path, source: str,
                      suite_names: list[str]) -> Path:
    """Render the source's suites and results, rebuild the index; returns index.html."""
    prefix = f"raw_{source}."
    results = [k for k in context.validation_results_store.list_keys()
               if k.expectation_suite_identifier.name.startswith(prefix)]
    suites = [ExpectationSuiteIdentifier(name=name) for name in suite_names]
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=[*suites, *results])
    for page in [*docs_dir.rglob("*.html"), *docs_dir.rglob("*.css")]:
        _use_local_logo(page, docs_dir)
    return docs_dir / "index.html"


def _use_local_logo(page: Path, docs_dir: Path) -> None:
    html = page.read_text(encoding="utf-8")
    if "great-expectations-web-assets" not in html:
        return
    local = os.path.relpath(docs_dir / "static" / "images" / "logo-long.png", page.parent)
    page.write_text(_REMOTE_ASSET.sub(local, html), encoding="utf-8")
