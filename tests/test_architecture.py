"""The packages import one way (pyproject.toml's [tool.importlinter] layers), with no cycle
between top-level packages: import-linter checks the whole tree, lazy imports included."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(config), "--no-cache"], check=False,
                          cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(cwd)})


def test_every_package_imports_only_the_layers_below_it() -> None:
    result = _lint_imports(REPO_ROOT / "pyproject.toml", REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_check_reports_a_lower_package_importing_a_higher_one(tmp_path: Path) -> None:
    # The same kind of contract over a two-package tree whose bottom imports its top (lazily).
    (tmp_path / "top").mkdir()
    (tmp_path / "top" / "__init__.py").write_text("import bottom\n")
    (tmp_path / "bottom").mkdir()
    (tmp_path / "bottom" / "__init__.py").write_text("def late():\n    import top\n")
    config = tmp_path / "layers.toml"
    config.write_text(textwrap.dedent("""
        [tool.importlinter]
        root_packages = ["top", "bottom"]
        [[tool.importlinter.contracts]]
        name = "top over bottom"
        type = "layers"
        layers = ["top", "bottom"]
    """))
    result = _lint_imports(config, tmp_path)
    assert result.returncode == 1
    assert "bottom -> top" in result.stdout
