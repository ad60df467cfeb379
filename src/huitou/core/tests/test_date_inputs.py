"""Date and datetime inputs carry ISO values in every UI language.

<input type="date"> accepts only 2026-12-04; a localised 2026/12/04 (zh-hans) leaves it empty,
so a form shown in Chinese lost its dates and the period pickers started blank.
"""

import importlib
import re
from datetime import date, datetime
from html.parser import HTMLParser

import pytest
from django import forms
from django.apps import apps
from django.utils import timezone, translation

from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.models import Complaint
from huitou.complaints.tests.factories import make_complaint

LANGUAGES = ["zh-hans", "en"]


@pytest.fixture(autouse=True)
def keep_the_active_language():
    """LocaleMiddleware leaves the last request's language active; later tests expect Chinese."""
    with translation.override(translation.get_language()):
        yield


DAY = date(2026, 12, 4)
MOMENT = datetime(2026, 12, 4, 9, 30)


def huitou_forms() -> list[type[forms.BaseForm]]:
    """Every form class the project defines (admin forms use Django's own widgets)."""
    for config in apps.get_app_configs():
        if config.name.startswith("huitou."):
            for module in ("forms", "views", "staff_views", "portal"):
                try:
                    importlib.import_module(f"{config.name}.{module}")
                except ModuleNotFoundError as error:
                    if error.name != f"{config.name}.{module}":
                        raise
    found, todo = [], [forms.Form, forms.ModelForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("huitou.") and ".admin" not in cls.__module__:
            found.append(cls)
    return found


def date_fields():
    for form_class in huitou_forms():
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                yield pytest.param(field, id=f"{form_class.__name__}.{name}")


def test_the_project_has_date_fields_to_check():
    assert len(list(date_fields())) >= 6  # complaint, dispatch, analysis/QA and SLA periods


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("field", list(date_fields()))
def test_every_date_field_renders_an_iso_value_in_a_browser_picker(field, language):
    with translation.override(language):
        if isinstance(field, forms.DateTimeField):
            html = field.widget.render("when", timezone.make_aware(MOMENT))
            assert 'type="datetime-local"' in html
            assert 'value="2026-12-04T09:30"' in html, html
        else:
            html = field.widget.render("when", DAY)
            assert 'type="date"' in html
            assert 'value="2026-12-04"' in html, html
            assert field.clean("2026-12-04") == DAY


class FormValues(HTMLParser):
    """The values a browser would submit for one form of a page (text, selects, textareas)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("type") not in ("checkbox", "radio", "submit"):
            self.data[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, None)
        elif tag == "option" and self.select:
            if "selected" in attrs or self.data[self.select] is None:
                self.data[self.select] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.data[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        self.select = None if tag == "select" else self.select
        self.textarea = None if tag == "textarea" else self.textarea

    def handle_data(self, data):
        if self.inside and self.textarea:
            self.data[self.textarea] += data.removeprefix("\n")


def form_data(page: str, form_id: str) -> dict:
    parser = FormValues(form_id)
    parser.feed(page)
    assert parser.data, form_id
    return parser.data


ISO_VALUE = re.compile(r'<input type="date" name="(start|end)" value="(\d{4}-\d{2}-\d{2})"')


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/sla/", "/complaints/analysis/", "/complaints/qa/"])
def test_period_pickers_start_with_the_default_period(client, path, language):
    client.force_login(UserFactory(role="supervisor"))
    client.cookies["django_language"] = language
    page = client.get(path).content.decode()
    assert {name for name, _value in ISO_VALUE.findall(page)} == {"start", "end"}, path
    assert "/" not in "".join(value for _name, value in ISO_VALUE.findall(page))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_deferred_complaint_saves_again_with_the_date_the_page_shows(client, language):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    Complaint.objects.filter(pk=complaint.pk).update(reply_mode="deferred", promised_date=DAY)
    client.force_login(agent)
    client.cookies["django_language"] = language
    page = client.get(f"/tickets/{complaint.pk}/").content.decode()
    shown = re.search(r'<input type="date" name="promised_date" value="([^"]*)"', page)
    assert shown and shown.group(1) == "2026-12-04"
    # Submit the classification form as the browser would, untouched.
    response = client.post(
        f"/complaints/{complaint.pk}/classify/", form_data(page, "action-classify")
    )
    assert response.status_code == 302, response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).promised_date == DAY


TEMPLATE_DATE_INPUT = re.compile(r'<input\b[^>]*type="(date|datetime-local)"[^>]*>')
ISO_FILTERS = {"date": "|date:'Y-m-d'", "datetime-local": "|date:'Y-m-d\\TH:i'"}


def test_templates_render_dates_into_inputs_as_iso():
    """A date a template writes into an input's value goes through an explicit ISO format."""
    from pathlib import Path

    import huitou

    offenders = []
    for path in Path(huitou.__file__).parent.rglob("templates/**/*.html"):
        for match in TEMPLATE_DATE_INPUT.finditer(path.read_text(encoding="utf-8")):
            tag, kind = match.group(0), match.group(1)
            value = re.search(r'value="([^"]*)"', tag)
            written = value.group(1).replace('"', "'") if value else ""
            if "{{" in written and ISO_FILTERS[kind] not in written:
                offenders.append(f"{path.name}: {tag}")
    assert offenders == []
