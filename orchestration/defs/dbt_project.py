"""The dbt project, alone in its module so assets and resources import it without cycles."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from ingestion.settings import REPO_ROOT

# dbt is installed beside this Python; dagster-dbt runs it as `dbt` from PATH, which may not
# include the virtual environment when it is not activated (make, the launcher, CI).
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    """True when no manifest exists or a model, macro or project file is newer than it."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in ("models", "macros", "tests")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.suffix in (".sql", ".yml")
    ]
    return any(path.stat().st_mtime > built for path in sources)


# `dagster dev` re-parses on start; everywhere else (the CLI, tests, CI) the manifest is
# written here when missing or older than the project, so definitions always match the SQL.
dbt_project.prepare_if_dev()
if _manifest_is_stale():
    dbt_project.preparer.prepare(dbt_project)
