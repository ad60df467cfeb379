"""Every environment variable the code reads is in the README's configuration table, and the
settings read them only through the strict parsers of huitou.config.settings.env."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_DIR = ROOT / "src" / "huitou" / "config" / "settings"
NAME = r"\"([A-Z][A-Z0-9_]*)\""
READS = [
    re.compile(rf"(?<![.\w])env_\w+\(\s*{NAME}"),  # our parsers (not env.env_bool in tests)
    re.compile(rf"\bos\.environ\.get\(\s*{NAME}"),
    re.compile(rf"\bos\.getenv\(\s*{NAME}"),
    re.compile(rf"\bos\.environ\[\s*{NAME}\s*\](?!\s*=[^=])"),  # a read, not an assignment
]
# The per-group rate variables are built from the group's name (settings.HUITOU_RATE_LIMITS).
RATE_ROW = "HUITOU_RATE_LIMIT_<GROUP>"


def read_variables() -> dict[str, Path]:
    """Names read by the application (src, not its apps' tests) and by the suite's own knobs
    (tests/*.py, e.g. HUITOU_FUZZ_EXAMPLES), with one file that reads each."""
    found = {}
    application = [
        p
        for p in (ROOT / "src").rglob("*.py")
        if not {"tests", "migrations"} & {*p.relative_to(ROOT).parts}
    ]
    for path in [*sorted(application), *sorted((ROOT / "tests").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        for pattern in READS:
            for name in pattern.findall(text):
                found.setdefault(name, path.relative_to(ROOT))
    return found


def documented_rows() -> dict[str, str]:
    """The configuration table: each backticked name in a row's first cell → the whole row."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            for name in re.findall(r"`([^`]+)`", first_cell):
                rows[name] = line
    return rows


def test_every_variable_the_code_reads_is_in_the_readme_table():
    rows = documented_rows()
    missing = {name: str(path) for name, path in read_variables().items() if name not in rows}
    assert not missing, f"add these to README.md's Configuration table: {missing}"


def test_every_rate_limit_group_is_in_the_readme_table():
    row = documented_rows()[RATE_ROW]
    for group in settings.HUITOU_RATE_LIMITS:
        assert f"`{group.upper()}`" in row, f"{RATE_ROW}: group {group.upper()} is not listed"


def test_the_table_lists_nothing_the_code_no_longer_reads():
    read = {*read_variables(), RATE_ROW}
    stale = sorted(name for name in documented_rows() if name not in read)
    # Read outside Python: by the Makefile.
    assert stale == ["TEST_POSTGRES_URL"], f"README.md documents what nothing reads: {stale}"


def test_settings_read_the_environment_only_through_the_strict_parsers():
    loose = {}
    for path in sorted(SETTINGS_DIR.glob("*.py")):
        if path.name == "env.py":
            continue
        text = path.read_text(encoding="utf-8")
        hits = re.findall(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[", text)
        if hits:
            loose[path.name] = hits
    assert not loose, f"read these through huitou.config.settings.env instead: {loose}"
