"""Dependencies point one way (issue 13): core ← accounts ← customers ← tickets ← sla ←
complaints ← knowledge ← web ← demo ← config, with each app's views, api, admin, urls, forms,
panels and templatetags in the web layer. The contracts live in pyproject.toml
([tool.importlinter]); grimp reads every import statement, those inside functions too."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("lint-imports")
    found = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: `make install` installs the dev extra"
    return [found, "--no-cache"]


def broken_contracts(output: str) -> str:
    """The report's list of broken contracts and their imports, without the banner."""
    _before, marker, after = output.partition("Broken contracts")
    return (marker + after).strip() if marker else output.strip()


def test_the_import_contracts_hold_even_for_imports_inside_functions():
    result = subprocess.run(
        lint_imports_command(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(
            "import contracts broken (pyproject.toml [tool.importlinter]):\n"
            + broken_contracts(result.stdout + result.stderr),
            pytrace=False,
        )
