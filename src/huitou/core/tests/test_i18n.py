from pathlib import Path

import pytest
from django.utils import translation

import huitou

CATALOGUE = Path(huitou.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries(text: str):
    """(msgid, msgstr) pairs of a .po file, multi-line strings joined."""
    entries, current, key = [], {}, None
    for line in [*text.splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            key, _, rest = line.partition(" ")
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
