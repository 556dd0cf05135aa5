"""The dbt project and how its nodes become Dagster assets.

Nothing happens on import: the project (and the manifest ``@dbt_assets`` needs) is prepared the
first time :func:`dbt_project` is called, once per process, when the definitions are loaded.
"""

import os
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DbtProject

from foundation.settings import DBT_PROJECT_DIR

# Files whose change changes the manifest (SQL, YAML, and the Markdown of {% docs %} blocks).
_PROJECT_SUFFIXES = (".sql", ".yml", ".md")


@cache
def dbt_project() -> DbtProject:
    """The project, with a manifest written when missing or older than the project's files.

    ``dagster dev`` re-parses on start; everywhere else (the CLI, tests, CI) the manifest is
    prepared here, so the definitions always match the SQL.
    """
    _put_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    if _manifest_is_stale(project.manifest_path):
        project.preparer.prepare(project)
    return project


def _put_dbt_on_path() -> None:
    # dbt is installed beside this Python; dagster-dbt runs it as `dbt` from PATH, which may not
    # include the virtual environment when it is not activated (make, the launcher, CI).
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def _manifest_is_stale(manifest: Path) -> bool:
    """True when no manifest exists or a model, macro, doc or project file is newer than it."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in ("models", "macros", "tests")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.suffix in _PROJECT_SUFFIXES
    ]
    return any(path.stat().st_mtime > built for path in sources)


class OpsintelDbtTranslator(DagsterDbtTranslator):
    """Groups follow the model's folder: staging, intermediate, or the mart's domain."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        folders = dbt_resource_props["fqn"][1:-1]  # project name first, model name last
        if not folders:
            return "warehouse"
        if folders[0] == "marts" and len(folders) > 1:
            return f"marts_{folders[1]}"
        return folders[0]
