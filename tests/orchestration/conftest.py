"""Fixtures for the Dagster tests.

``dg.materialize`` and ``build_sensor_context`` use ephemeral instances, which never send
telemetry (``DagsterInstance.telemetry_enabled`` is False for them). Anything that builds a
persistent instance (the launcher test's ``dagster dev``) gets a temporary DAGSTER_HOME holding
the project's dagster.yaml (telemetry off), so tests never write into ``.dagster_home``.
"""

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from foundation.settings import REPO_ROOT


@pytest.fixture(scope="session")
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture(autouse=True)
def _isolated_dagster_home(dagster_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))


def _write_export(landing: Path, relative: str, text: str, *, age_s: float = 60.0) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    past = time.time_ns() - int(age_s * 1e9)
    os.utime(path, ns=(past, past))
    return path


@pytest.fixture
def write_export() -> Callable[..., Path]:
    """``write_export(landing, "source/entity.csv", text, age_s=60)``: a landing file whose
    mtime is ``age_s`` seconds ago (old enough for the sensor to treat it as complete)."""
    return _write_export
