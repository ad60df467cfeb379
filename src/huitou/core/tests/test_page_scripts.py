"""Page scripts are static files loaded in base.html's scripts block; every page has an icon."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

import huitou

TEMPLATES = sorted(Path(huitou.__file__).parent.rglob("templates/**/*.html"))
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
EVENT_HANDLER = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=\s*["']""", re.I)
STATIC_SCRIPT = re.compile(r"""<script\b[^>]*src="\{% static '([^']+)' %\}\"""")


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_templates_hold_no_inline_script(path):
    text = path.read_text(encoding="utf-8")
    for attributes, body in SCRIPT_TAG.findall(text):
        assert "src=" in attributes and not body.strip(), f"inline <script> in {path}"
    assert not EVENT_HANDLER.search(text), f"inline event handler in {path}"
    assert "javascript:" not in text, path


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_scripts_are_loaded_only_in_the_scripts_block_or_the_head(path):
    text = path.read_text(encoding="utf-8")
    if path.name == "base.html":
        return
    outside = re.sub(r"\{% block scripts %\}.*?\{% endblock %\}", "", text, flags=re.S)
    assert "<script" not in outside, f"{path}: load page scripts in {{% block scripts %}}"


def test_every_static_script_a_template_loads_exists():
    loaded = {name for path in TEMPLATES for name in STATIC_SCRIPT.findall(path.read_text())}
    assert {"huitou/huitou.js", "huitou/phrases.js", "huitou/chat_widget.js"} <= loaded
    missing = sorted(
        name
        for name in loaded - {"vendor/htmx.min.js", "vendor/echarts.min.js"}
        if not finders.find(name)
    )
    assert missing == []


def test_base_has_a_scripts_block_at_the_end_of_the_body_and_an_icon():
    base = (Path(huitou.__file__).parent / "templates" / "base.html").read_text()
    assert re.search(r"\{% block scripts %\}\{% endblock %\}\s*</body>", base)
    assert "{% static 'huitou/favicon.svg' %}" in base
    assert finders.find("huitou/favicon.svg")


@pytest.mark.django_db
def test_favicon_ico_answers_with_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("huitou/favicon.svg")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/help/"])
def test_pages_link_the_icon(client, path):
    page = client.get(path).content.decode()
    assert re.search(r'<link rel="icon" href="[^"]*huitou/favicon\.svg"', page), path


@pytest.mark.django_db
def test_the_help_centre_widget_gets_its_url_and_error_text_as_data(client):
    page = client.get("/help/").content.decode()
    assert 'data-ask-url="/api/v1/' in page
    assert 'data-error="抱歉，出错了，请稍后再试。"' in page
    assert page.rstrip().endswith("</html>")
    assert re.search(r'<script src="[^"]*huitou/chat_widget\.js" defer></script>\s*</body>', page)
