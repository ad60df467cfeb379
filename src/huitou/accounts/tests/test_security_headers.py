"""Every page carries the Content-Security-Policy (in tests as in production): scripts and
styles from our own origin only, no inline code, no framing; templates hold no inline styles."""

import re
from pathlib import Path

import pytest

import huitou
from huitou.accounts.tests.factories import UserFactory

TEMPLATES = sorted(Path(huitou.__file__).parent.rglob("templates/**/*.html"))
STYLE_ATTRIBUTE = re.compile(r"""<[a-z][^>]*\sstyle\s*=""", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/help/", "/admin/login/", "/api/v1/docs"])
def test_pages_send_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in directives.values() for value in values)


@pytest.mark.django_db
def test_staff_pages_send_it_too(client):
    client.force_login(UserFactory(role="agent"))
    response = client.get("/tickets/")
    assert response.status_code == 200
    assert policy(response)["script-src"] == ["'self'"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_templates_hold_no_inline_style(path):
    text = path.read_text(encoding="utf-8")
    assert "<style" not in text.lower(), f"<style> block in {path}: the CSP refuses it"
    assert not STYLE_ATTRIBUTE.search(text), f"style= attribute in {path}: the CSP refuses it"


def test_htmx_is_told_not_to_inject_its_indicator_style():
    base = (Path(huitou.__file__).parent / "templates" / "base.html").read_text()
    assert '"includeIndicatorStyles": false' in base
