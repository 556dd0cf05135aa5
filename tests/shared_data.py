"""The public data sets the tests hold numbers against, read where they are: ``../shared/data/``
beside the repository (every development machine and CI has it). They are never copied into
the repository, and the product never reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TELCO_CSV = SHARED_DATA / "telco-churn" / "Telco-Customer-Churn.IBM.csv"
MRR_PLAYBOOK = SHARED_DATA / "mrr-playbook"


def require(path: Path) -> Path:
    """``path``, or the test (called at import: the whole module) skipped with one line saying
    which data set is missing."""
    if not path.exists():
        pytest.skip(f"public data set not found: {path} (the shared data folder beside the repository)",
                    allow_module_level=True)
    return path
