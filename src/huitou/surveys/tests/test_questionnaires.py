# ruff: noqa: E501  (the bad-question table reads best one case a line)
"""Questionnaires built by staff: the header and body checks, versions (answers keep the
version they answered), the shipped templates, the API and the builder pages."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.surveys.answers import do_response_submit
from huitou.surveys.builtin import ensure_builtin_questionnaires
from huitou.surveys.models import Answer, Dimension, Question, Questionnaire, Side
from huitou.surveys.questionnaires import (
    do_questionnaire_archive,
    do_questionnaire_create,
    do_questionnaire_publish,
    do_questionnaire_update,
    version_body,
)

pytestmark = pytest.mark.django_db

BODY = {
    "sections": [
        {
            "title": "基本情况",
            "title_en": "About you",
            "questions": [
                {"key": "Q1", "kind": "scale", "text": "满意吗", "text_en": "Satisfied?"},
                {"key": "Q2", "kind": "text", "text": "意见", "required": False},
            ],
        }
    ]
}


@pytest.fixture
def supervisor(db):
    return UserFactory(username="lead", role="supervisor")


@pytest.fixture
def agent(db):
    return UserFactory(username="desk", role="agent")


def create(actor, body=BODY, **header):
    return do_questionnaire_create(
        actor=actor, data={"title": "售后回访", **header, "body": json.loads(json.dumps(body))}
    )


def test_creating_with_a_body_publishes_version_one_with_sections_and_a_code(supervisor):
    questionnaire = create(supervisor, instructions="请如实填写", coding="Q1 满意度")
    version = questionnaire.current_version
    assert version.number == 1 and questionnaire.code.startswith("Q")
    assert [q.key for q in version.questions.all()] == ["Q1", "Q2"]
    assert version.sections.get().title_en == "About you"
    scale = version.questions.get(key="Q1")
    assert [o["value"] for o in scale.options] == ["5", "4", "3", "2", "1"]  # the [000] scale
    assert version_body(version)["sections"][0]["questions"][0]["text_en"] == "Satisfied?"


def test_an_agent_may_not_build_questionnaires(agent):
    with pytest.raises(PermissionDenied):
        create(agent)


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"key": "a b", "kind": "text", "text": "x"}, "questions.key"),
        ({"key": "Q1", "kind": "essay", "text": "x"}, "questions.Q1.kind"),
        ({"key": "Q1", "kind": "text", "text": ""}, "questions.Q1.text"),
        ({"key": "Q1", "kind": "single", "text": "x", "options": [{"value": "a", "label": "甲"}]}, "questions.Q1.options"),
        ({"key": "Q1", "kind": "scale", "text": "x", "options": [{"value": "1", "label": "1"}] * 1}, "questions.Q1.options"),
        ({"key": "Q1", "kind": "scale", "text": "x", "options": [{"value": str(n), "label": "n"} for n in range(1, 8)]}, "questions.Q1.options"),
        ({"key": "Q1", "kind": "ranking", "text": "x", "items": [{"value": "a", "label": "甲"}]}, "questions.Q1.items"),
        ({"key": "Q1", "kind": "comparison", "text": "x", "items": [{"value": "p", "a": "甲"}]}, "questions.Q1.items"),
        ({"key": "Q1", "kind": "text", "text": "x", "show_if": {"question": "Q9", "op": "in", "values": ["1"]}}, "questions.Q1.show_if"),
        ({"key": "Q1", "kind": "text", "text": "x", "show_if": {"question": ["Q0"], "op": "in", "values": ["1"]}}, "questions.Q1.show_if"),
        ({"key": "Q1", "kind": "nps", "text": "x", "overall": True}, "questions.Q1.overall"),
        ({"key": "Q1", "kind": "text", "text": "x", "dimension": "beauty"}, "questions.Q1.dimension"),
        ({"key": "Q1", "kind": "multiple", "text": "x", "options": [{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}], "min_choices": 2, "max_choices": 1}, "questions.Q1.min_choices"),
    ],
)  # fmt: skip
def test_a_bad_question_is_refused_naming_its_part(supervisor, question, field):
    with pytest.raises(DomainError) as error:
        create(supervisor, body={"sections": [{"questions": [question]}]})
    assert error.value.field == field


def test_keys_are_unique_and_skip_logic_looks_back_only(supervisor):
    twice = {"sections": [{"questions": [BODY["sections"][0]["questions"][0]] * 2}]}
    with pytest.raises(DomainError) as error:
        create(supervisor, body=twice)
    assert error.value.field == "questions.Q1.key"
    ahead = {
        "sections": [
            {
                "questions": [
                    {"key": "A", "kind": "text", "text": "x", "show_if": {"question": "B", "op": "answered"}},
                    {"key": "B", "kind": "text", "text": "y"},
                ]
            }
        ]
    }  # fmt: skip
    with pytest.raises(DomainError) as error:
        create(supervisor, body=ahead)
    assert error.value.field == "questions.A.show_if"


def test_a_new_version_keeps_old_answers_on_the_old_questions(supervisor):
    questionnaire = create(supervisor)
    first = questionnaire.current_version
    old = do_response_submit(version=first, answers={"Q1": 4, "Q2": "还行"})
    changed = json.loads(json.dumps(BODY))
    changed["sections"][0]["questions"][0]["text"] = "总体满意吗"
    changed["sections"][0]["questions"].append({"key": "Q3", "kind": "nps", "text": "推荐吗"})
    second = do_questionnaire_publish(
        actor=supervisor, questionnaire_id=questionnaire.pk, body=changed
    )
    questionnaire.refresh_from_db()
    assert second.number == 2 and questionnaire.current_version == second
    old_answer = Answer.objects.get(response=old, question__key="Q1")
    assert old_answer.question.version == first and old_answer.question.text == "满意吗"
    assert Question.objects.get(version=second, key="Q1").text == "总体满意吗"
    new = do_response_submit(version=second, answers={"Q1": 5, "Q3": 10})
    assert new.nps == 10 and new.version == second and old.version == first


def test_saving_the_same_body_publishes_no_new_version(supervisor):
    questionnaire = create(supervisor)
    do_questionnaire_update(
        actor=supervisor,
        questionnaire_id=questionnaire.pk,
        data={"title": "售后回访（新）", "body": version_body(questionnaire.current_version)},
    )
    questionnaire.refresh_from_db()
    assert questionnaire.title == "售后回访（新）" and questionnaire.versions.count() == 1


def test_an_archived_questionnaire_is_not_changed(supervisor):
    questionnaire = create(supervisor)
    do_questionnaire_archive(actor=supervisor, questionnaire_id=questionnaire.pk)
    with pytest.raises(DomainError) as error:
        do_questionnaire_publish(actor=supervisor, questionnaire_id=questionnaire.pk, body=BODY)
    assert error.value.status_code == 409


def test_builtin_templates_are_made_once(supervisor):
    first = ensure_builtin_questionnaires()
    second = ensure_builtin_questionnaires()
    assert [q.pk for q in first] == [q.pk for q in second]
    assert Questionnaire.objects.exclude(builtin="").count() == 4
    servqual = Questionnaire.objects.get(builtin="servqual").current_version
    pairs = servqual.questions.exclude(pair="")
    assert pairs.filter(side=Side.EXPECTATION).count() == 22
    assert pairs.filter(side=Side.PERCEPTION).count() == 22
    assert set(
        servqual.questions.filter(side=Side.IMPORTANCE).values_list("dimension", flat=True)
    ) == set(Dimension.values)
    assert all(q.text_en and len(q.options) == 5 for q in servqual.questions.all())
    card = Questionnaire.objects.get(builtin="comment_card")
    assert card.anonymous and 6 <= card.current_version.questions.count() <= 8
    assert not card.current_version.questions.filter(text__contains="姓名").exists()
    after = Questionnaire.objects.get(builtin="post_service").current_version
    assert {q.kind for q in after.questions.all()} >= {"scale", "nps", "text"}
    assert after.questions.get(overall=True).kind == "scale"
    evaluation = Questionnaire.objects.get(builtin="evaluation").current_version
    assert set(evaluation.questions.exclude(indicator="").values_list("indicator", flat=True)) == {
        "timeliness", "process", "attitude", "skill",
    }  # fmt: skip


# --- the API -----------------------------------------------------------------------------------
def test_the_api_creates_publishes_and_shows_versions(api_as, supervisor):
    client = api_as(supervisor)
    made = client.post("surveys/questionnaires", {"title": "门店调查", "body": BODY})
    assert made.status_code == 201, made.content
    qid = made.json()["id"]
    assert made.json()["current_version"] == 1
    changed = json.loads(json.dumps(BODY))
    changed["note"] = "加一题"
    changed["sections"][0]["questions"].append({"key": "Q3", "kind": "yes_no", "text": "再来吗"})
    published = client.post(f"surveys/questionnaires/{qid}/publish", changed)
    assert published.status_code == 201 and published.json()["number"] == 2
    version = client.get(f"surveys/questionnaires/{qid}/versions/1").json()
    assert [q["key"] for q in version["sections"][0]["questions"]] == ["Q1", "Q2"]
    assert [v["number"] for v in client.get(f"surveys/questionnaires/{qid}/versions").json()] == [
        2,
        1,
    ]
    assert (
        client.patch(f"surveys/questionnaires/{qid}", {"title_en": "Store"}).json()["title_en"]
        == "Store"
    )
    assert client.post(f"surveys/questionnaires/{qid}/archive", {"archived": True}).json()[
        "archived"
    ]
    listed = client.get("surveys/questionnaires").json()
    assert qid not in [row["id"] for row in listed["items"]]


def test_the_api_names_the_bad_part_of_a_body(api_as, supervisor):
    bad = {
        "title": "x",
        "body": {"sections": [{"questions": [{"key": "Q1", "kind": "matrix", "text": "x"}]}]},
    }
    response = api_as(supervisor).post("surveys/questionnaires", bad)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "questions.Q1.items"


def test_the_api_refuses_an_agent(api_as, agent):
    assert api_as(agent).get("surveys/questionnaires").status_code == 403


# --- the builder pages -------------------------------------------------------------------------
def test_the_builder_page_creates_and_publishes_as_a_supervisor(supervisor):
    client = Client()
    client.force_login(supervisor)
    assert client.get("/surveys/questionnaires/new/").status_code == 200
    page = client.post(
        "/surveys/questionnaires/new/",
        {"title": "门店调查", "purpose": "sample", "anonymous": "on", "body": json.dumps(BODY)},
    )
    assert page.status_code == 302
    questionnaire = Questionnaire.objects.get(title="门店调查")
    assert questionnaire.anonymous and questionnaire.current_version.number == 1
    builder = client.get(f"/surveys/questionnaires/{questionnaire.pk}/")
    assert builder.status_code == 200 and b"builder-question-template" in builder.content
    assert "满意吗" in builder.content.decode()
    changed = json.loads(json.dumps(BODY))
    changed["sections"][0]["questions"][1]["required"] = True
    client.post(
        f"/surveys/questionnaires/{questionnaire.pk}/",
        {"title": "门店调查", "purpose": "sample", "body": json.dumps(changed)},
    )
    questionnaire.refresh_from_db()
    assert questionnaire.current_version.number == 2 and not questionnaire.anonymous
    versions = client.get(f"/surveys/questionnaires/{questionnaire.pk}/versions/")
    assert versions.status_code == 200 and "v2" in versions.content.decode()
    preview = client.get(f"/surveys/questionnaires/{questionnaire.pk}/preview/?version=1")
    assert preview.status_code == 200 and b'name="q-Q1"' in preview.content
    unsaved = client.post(
        f"/surveys/questionnaires/{questionnaire.pk}/preview/", {"body": json.dumps(BODY)}
    )
    assert unsaved.status_code == 200 and b'name="q-Q2"' in unsaved.content
    assert questionnaire.versions.count() == 2
    listing = client.get("/surveys/questionnaires/")
    assert listing.status_code == 200 and "门店调查" in listing.content.decode()


def test_the_builder_shows_a_bad_body_with_its_field(supervisor):
    client = Client()
    client.force_login(supervisor)
    page = client.post("/surveys/questionnaires/new/", {"title": "x", "body": "{not json"})
    assert page.status_code == 422 and b'data-field="body"' in page.content
    assert b"{not json" in page.content


def test_the_builder_refuses_an_agent(agent, supervisor):
    questionnaire = create(supervisor)
    client = Client()
    client.force_login(agent)
    assert client.get("/surveys/questionnaires/").status_code == 403
    assert client.get(f"/surveys/questionnaires/{questionnaire.pk}/").status_code == 403
    assert client.post("/surveys/questionnaires/new/", {"title": "x"}).status_code == 403
