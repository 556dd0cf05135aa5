"""Shared test set-up: every test runs against temporary paths, never the repository's data/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path_factory.mktemp("opsintel-env")
    monkeypatch.setenv("OPSINTEL_WAREHOUSE", str(base / "warehouse" / "opsintel.duckdb"))
    monkeypatch.setenv("OPSINTEL_LANDING", str(base / "landing"))
    monkeypatch.setenv("OPSINTEL_GROUND_TRUTH", str(base / "ground_truth"))
    monkeypatch.setenv("OPSINTEL_ARTIFACTS", str(base / "artifacts"))
    monkeypatch.setenv("OPSINTEL_USERS", str(base / "users.toml"))
    monkeypatch.setenv("OPSINTEL_LOGS", str(base / "logs"))
    monkeypatch.setenv("DO_NOT_TRACK", "1")
