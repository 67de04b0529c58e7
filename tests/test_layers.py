"""The layers hold: an app imports only the apps below it, and core imports none of them
(pyproject.toml's import-linter contract; `lint-imports` runs the same check by hand)."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.argv = ['lint-imports', '--no-cache']; lint_imports_command()",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_layers(tmp_path):
    """The check would catch it: a copy of the project where qualification names contacts."""
    for package in (
        "config",
        "messenger",
        "inbox",
        "contacts",
        "companies",
        "qualification",
        "workspace",
        "core",
    ):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "qualification" / "upward.py").write_text(
        textwrap.dedent(
            """
            def f():
                from contacts import models  # an app named from below
            """
        )
    )
    (tmp_path / "core" / "app.py").write_text("import workspace\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "qualification.upward -> contacts" in result.stdout
    assert "core.app -> workspace" in result.stdout
