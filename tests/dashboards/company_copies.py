"""Published copies of the dashboards' built company, for tests that write to one."""

from __future__ import annotations

import shutil
from pathlib import Path

from foundation.warehouse import Warehouse


def copy_of_company(built_company: Path, folder: Path) -> Path:
    """A published copy of the built company's warehouse file in ``folder``."""
    path = folder / "warehouse" / "opsintel.duckdb"
    path.parent.mkdir(parents=True)
    shutil.copyfile(built_company, path)
    Warehouse(path).publish()
    return path
