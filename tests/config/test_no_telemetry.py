"""Telemetry is off in the project's own config files, not in the user's environment."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

from foundation.settings import REPO_ROOT


def test_dagster_instance_config_disables_telemetry() -> None:
    config = yaml.safe_load((REPO_ROOT / ".dagster_home" / "dagster.yaml").read_text())
    assert config["telemetry"] == {"enabled": False}


def test_dagster_instance_from_project_home_reports_telemetry_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import dagster as dg

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("DAGSTER_DISABLE_TELEMETRY", raising=False)
    with dg.DagsterInstance.get() as instance:
        assert instance.telemetry_enabled is False


def test_dbt_project_disables_usage_stats() -> None:
    config = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    assert config["flags"]["send_anonymous_usage_stats"] is False


def test_streamlit_disables_usage_stats() -> None:
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"


def test_great_expectations_context_disables_analytics(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import great_expectations as gx

    monkeypatch.delenv("GX_ANALYTICS_ENABLED", raising=False)
    shutil.copytree(REPO_ROOT / "models" / "gx", tmp_path / "gx")
    context = gx.get_context(mode="file", project_root_dir=tmp_path)
    assert context.variables.analytics_enabled is False
