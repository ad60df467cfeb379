import re
from pathlib import Path

import pytest
from django.utils import translation

import huitou

CATALOGUE = Path(huitou.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries(text: str):
    """(msgid, msgstr) pairs of a .po file, multi-line strings joined."""
    entries, current, key = [], {}, None
    for line in [*text.splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ", "msgstr[0] ")):
            key, _, rest = line.partition(" ")
            key = key.removesuffix("[0]")  # a plural entry: its singular stands for it
            current[key] = rest.strip()[1:-1]
        elif line.startswith('"') and key:
            current[key] += line.strip()[1:-1]
        elif not line.strip():
            if current.get("msgid"):
                entries.append((current["msgid"], current.get("msgstr", "")))
            current, key = {}, None
    return entries


def test_english_catalogue_translates_every_string():
    entries = _entries(CATALOGUE.read_text(encoding="utf-8"))
    assert len(entries) > 150
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    assert "#, fuzzy\nmsgid" not in CATALOGUE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "工单收件箱"), ("en", "Inbox")])
def test_ui_language_follows_the_active_language(language, expected):
    with translation.override(language):
        assert translation.gettext("工单收件箱") == expected


SOURCE_PATTERNS = [
    re.compile(r"""\b(?:_|_lazy|gettext|gettext_lazy)\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]"""),
    # pgettext("context", "message"): the message is the second argument.
    re.compile(r"""\bpgettext(?:_lazy)?\(\s*"[^"]*"\s*,\s*"((?:[^"\\]|\\.)+)"\s*\)"""),
    re.compile(r"""\{%\s*translate\s+"([^"]+)"\s*%\}"""),
    re.compile(r"""\{%\s*translate\s+'([^']+)'\s*%\}"""),
    re.compile(r"""\btranslate\s+'([^']+)'"""),
]


def _source_strings() -> set[str]:
    root = Path(huitou.__file__).parent
    found = set()
    for path in [*root.rglob("*.py"), *root.rglob("*.html")]:
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in SOURCE_PATTERNS:
            found.update(
                match.encode().decode("unicode_escape") if "\\" in match else match
                for match in pattern.findall(text)
            )
    return found


def test_every_marked_source_string_is_in_the_english_catalogue():
    """Catches a new UI string whose author forgot `makemessages -l en` and the translation."""
    msgids = {msgid for msgid, _msgstr in _entries(CATALOGUE.read_text(encoding="utf-8"))}
    strings = _source_strings()
    assert len(strings) > 100
    assert sorted(strings - msgids) == []
