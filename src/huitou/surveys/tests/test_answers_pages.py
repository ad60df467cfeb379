"""A customer answers a questionnaire: by an invitation's link or a distribution's public
link, as JSON through the API (bad answers 422 naming the question key) or on the phone-sized
page (errors next to the question, a thank-you page, a clear page for a closed link)."""

import json
import secrets
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from huitou.core.errors import ConflictError
from huitou.customers.tests.factories import CustomerFactory
from huitou.surveys.answers import do_response_submit
from huitou.surveys.models import Answer, Distribution, Invitation, InviteState, Response
from huitou.surveys.questionnaires import do_questionnaire_create
from huitou.surveys.tests.test_answers_kinds import ALL_KINDS, BAD, GOOD

pytestmark = pytest.mark.django_db

SKIP = [
    {"key": "s1", "kind": "scale", "text": "满意吗"},
    {
        "key": "why",
        "kind": "text",
        "text": "哪里不满意",
        "show_if": {"question": "s1", "op": "lte", "values": [2]},
    },
]


@pytest.fixture
def version():
    data = {
        "title": "全题型问卷",
        "title_en": "Every kind",
        "body": {"sections": [{"title": "第一部分", "questions": ALL_KINDS}]},
    }
    return do_questionnaire_create(actor=None, data=data, builtin="test").current_version


def distribution_of(version, **extra) -> Distribution:
    fields = {"name": "门店调查", "state": Distribution.State.OPEN, **extra}
    return Distribution.objects.create(
        questionnaire=version.questionnaire, public_token=secrets.token_urlsafe(16), **fields
    )


def invitation_of(version, **extra) -> Invitation:
    now = timezone.now()
    fields = {
        "kind": Invitation.Kind.SURVEY,
        "token": secrets.token_urlsafe(16),
        "state": InviteState.INVITED,
        "version": version,
        "due_at": now,
        "expires_at": now + timedelta(days=7),
        **extra,
    }
    return Invitation.objects.create(**fields)


def post_json(path, answers):
    return Client().post(path, json.dumps({"answers": answers}), content_type="application/json")


def test_the_api_stores_good_answers_of_an_invitation_once(version):
    customer = CustomerFactory(tier="B")
    invitation = invitation_of(version, customer=customer)
    response = post_json(f"/api/v1/surveys/answers/{invitation.token}", GOOD)
    assert response.status_code == 200, response.content
    assert response.json()["rating"] == 4 and response.json()["nps"] == 9
    invitation.refresh_from_db()
    assert invitation.state == InviteState.ANSWERED and invitation.response.customer == customer
    assert invitation.response.tier == "B"
    again = post_json(f"/api/v1/surveys/answers/{invitation.token}", GOOD)
    assert again.status_code == 409
    assert Response.objects.count() == 1


@pytest.mark.parametrize(("key", "value"), BAD)
def test_the_api_answers_a_bad_answer_422_naming_the_question(version, key, value):
    invitation = invitation_of(version)
    response = post_json(f"/api/v1/surveys/answers/{invitation.token}", {**GOOD, key: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == key
    invitation.refresh_from_db()
    assert invitation.state == InviteState.INVITED and Response.objects.count() == 0


def test_the_api_names_a_missing_required_answer(version):
    invitation = invitation_of(version)
    answers = {k: v for k, v in GOOD.items() if k != "grid"}
    response = post_json(f"/api/v1/surveys/answers/{invitation.token}", answers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "grid"


def test_an_expired_or_unknown_invitation_is_refused(version):
    expired = invitation_of(version, expires_at=timezone.now() - timedelta(minutes=1))
    assert post_json(f"/api/v1/surveys/answers/{expired.token}", GOOD).status_code == 410
    assert post_json("/api/v1/surveys/answers/nothing", GOOD).status_code == 404
    page = Client().get(f"/s/q/{expired.token}/")
    assert page.status_code == 410 and "过期" in page.content.decode()
    assert Client().get("/s/q/nothing/").status_code == 404


def test_two_answers_at_once_meet_the_one_to_one_guard(version):
    invitation = invitation_of(version)
    # The other submit got its row in first but has not marked the invitation yet.
    Response.objects.create(invitation=invitation, version=version, answered_at=timezone.now())
    with pytest.raises(ConflictError):
        do_response_submit(version=version, answers=GOOD, invitation=invitation)
    assert Answer.objects.count() == 0


def test_a_public_link_takes_answers_until_its_quota(version):
    distribution = distribution_of(version, quota=2)
    path = f"/api/v1/surveys/open/{distribution.public_token}"
    assert post_json(path, GOOD).status_code == 200
    assert post_json(path, GOOD).status_code == 200
    full = post_json(path, GOOD)
    assert full.status_code == 410
    assert distribution.responses.count() == 2
    assert Client().get(f"/s/o/{distribution.public_token}/").status_code == 410


@pytest.mark.parametrize(
    "extra",
    [
        {"state": Distribution.State.CLOSED},
        {"closes_at": timezone.now() - timedelta(hours=1)},
        {"opens_at": timezone.now() + timedelta(hours=1)},
    ],
)
def test_a_closed_distribution_refuses_answers(version, extra):
    distribution = distribution_of(version, **extra)
    assert post_json(f"/api/v1/surveys/open/{distribution.public_token}", GOOD).status_code == 410
    invitation = invitation_of(version, distribution=distribution)
    assert post_json(f"/api/v1/surveys/answers/{invitation.token}", GOOD).status_code == 410


def test_a_draft_distribution_has_no_public_page(version):
    distribution = distribution_of(version, state=Distribution.State.DRAFT)
    assert Client().get(f"/s/o/{distribution.public_token}/").status_code == 404


# --- the page ----------------------------------------------------------------------------------
def test_the_answer_page_renders_every_kind(version):
    invitation = invitation_of(version)
    page = Client().get(f"/s/q/{invitation.token}/")
    assert page.status_code == 200
    html = page.content.decode()
    for question in ALL_KINDS:
        assert f'data-kind="{question["kind"]}"' in html
    for name in ("q-yn", "q-one-other", "q-rank-a", "q-cmp-p1", "q-grid-b", "q-nps", "q-recall"):
        assert f'name="{name}"' in html
    assert "survey_answer.js" in html and 'name="viewport"' in html


def test_the_answer_page_is_in_english_for_an_english_visitor(version):
    invitation = invitation_of(version)
    page = Client(headers={"accept-language": "en"}).get(f"/s/q/{invitation.token}/")
    assert "Every kind" in page.content.decode()


FORM = {
    "q-yn": "1",
    "q-one": "other",
    "q-one-other": "朋友介绍",
    "q-many": ["a", "c"],
    "q-rank-a": "2",
    "q-rank-b": "1",
    "q-rank-c": "3",
    "q-fill": "北京",
    "q-cmp-p1": "a",
    "q-cmp-p2": "b",
    "q-recall": ["海尔", "美的", ""],
    "q-grid-a": "5",
    "q-grid-b": "3",
    "q-free": "很好的服务",
    "q-overall": "4",
    "q-nps": "9",
}


def test_posting_the_form_stores_the_answers_and_thanks(version):
    invitation = invitation_of(version)
    page = Client().post(f"/s/q/{invitation.token}/", FORM)
    assert page.status_code == 200 and b'id="answer-done"' in page.content
    response = Response.objects.get(invitation=invitation)
    assert response.rating == 4 and response.nps == 9
    ranked = Answer.objects.filter(response=response, question__key="rank").order_by("number")
    assert [row.item for row in ranked] == ["b", "a", "c"]
    assert Answer.objects.get(response=response, question__key="one").text == "朋友介绍"
    again = Client().get(f"/s/q/{invitation.token}/")
    assert again.status_code == 409 and b'id="answer-gone"' in again.content


def test_a_bad_form_shows_the_error_next_to_its_question_and_keeps_the_answers(version):
    invitation = invitation_of(version)
    page = Client().post(f"/s/q/{invitation.token}/", {**FORM, "q-rank-c": "1"})
    assert page.status_code == 422
    html = page.content.decode()
    fieldset = html.split('id="sq-rank"')[1].split("</fieldset>")[0]
    assert 'data-field="rank"' in fieldset
    assert 'value="朋友介绍"' in html  # what was typed stays
    assert not Response.objects.exists()


def test_a_public_page_post_stores_an_answer_with_skip_logic(version):
    data = {"title": "短问卷", "body": {"sections": [{"questions": SKIP}]}}
    short = do_questionnaire_create(actor=None, data=data, builtin="x").current_version
    distribution = distribution_of(short)
    page = Client().post(f"/s/o/{distribution.public_token}/", {"q-s1": "5", "q-why": "无"})
    assert page.status_code == 200
    response = distribution.responses.get()
    assert list(response.answers.values_list("question__key", flat=True)) == ["s1"]
    low = Client().post(f"/s/o/{distribution.public_token}/", {"q-s1": "1"})
    assert low.status_code == 422 and 'data-field="why"' in low.content.decode()
    shown = Client().get(f"/s/o/{distribution.public_token}/").content.decode()
    assert "data-show-if=" in shown and "&quot;lte&quot;" in shown
