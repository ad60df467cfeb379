"""Set-up hygiene a newcomer meets on the first `make run`: no stray files, no warnings, a README
that stands on its own."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "huitou"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_compiling_messages_leaves_no_var_folder_inside_the_package():
    stray = PACKAGE / "var"
    shutil.rmtree(stray, ignore_errors=True)
    result = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "messages"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert not stray.exists(), "compilemessages created src/huitou/var/"
    assert (PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.mo").is_file()


def test_the_licence_is_an_spdx_expression_not_a_deprecated_table():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "AGPL-3.0-or-later"


def test_the_readme_says_what_the_system_does_without_pointing_outside_the_clone():
    readme = (ROOT / "README.md").read_text()
    assert "../shared" not in readme
    for part in ("派单", "Customer archive", "Service standards", "Intelligent service"):
        assert part in readme
