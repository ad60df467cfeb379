"""Answering a questionnaire: every question kind's good and bad answers, required and
optional, skip logic, and one answer per invitation."""

import pytest

from huitou.core.errors import DomainError
from huitou.customers.tests.factories import CustomerFactory
from huitou.surveys.answers import check_answers, do_response_submit
from huitou.surveys.models import Answer, Response
from huitou.surveys.questionnaires import do_questionnaire_create

pytestmark = pytest.mark.django_db

OPTIONS = [
    {"value": "a", "label": "甲", "label_en": "A"},
    {"value": "b", "label": "乙", "label_en": "B"},
    {"value": "c", "label": "丙", "label_en": "C"},
]
ALL_KINDS = [
    {"key": "yn", "kind": "yes_no", "text": "是否"},
    {"key": "one", "kind": "single", "text": "单选", "options": OPTIONS, "allow_other": True},
    {
        "key": "many",
        "kind": "multiple",
        "text": "多选",
        "options": OPTIONS,
        "allow_other": True,
        "min_choices": 1,
        "max_choices": 2,
    },
    {"key": "rank", "kind": "ranking", "text": "顺位", "items": OPTIONS},
    {"key": "fill", "kind": "fill_in", "text": "填空", "max_length": 20},
    {
        "key": "cmp",
        "kind": "comparison",
        "text": "比较",
        "items": [
            {"value": "p1", "a": "速度", "b": "价格"},
            {"value": "p2", "a": "态度", "b": "速度"},
        ],
    },
    {"key": "recall", "kind": "recall", "text": "列举", "max_choices": 3},
    {"key": "grid", "kind": "matrix", "text": "矩阵", "items": OPTIONS[:2]},
    {"key": "free", "kind": "text", "text": "开放", "max_length": 50},
    {"key": "overall", "kind": "scale", "text": "总体", "overall": True},
    {"key": "nps", "kind": "nps", "text": "推荐"},
]
GOOD = {
    "yn": True,
    "one": {"value": "other", "other": "朋友介绍"},
    "many": ["a", "c"],
    "rank": ["b", "a", "c"],
    "fill": "北京",
    "cmp": {"p1": "a", "p2": "b"},
    "recall": ["海尔", "美的"],
    "grid": {"a": 5, "b": 3},
    "free": "很好的服务",
    "overall": 4,
    "nps": 9,
}


def make(questions, **extra):
    data = {"title": "测试问卷", "body": {"sections": [{"questions": questions}]}, **extra}
    return do_questionnaire_create(actor=None, data=data, builtin="test").current_version


@pytest.fixture
def version():
    return make(ALL_KINDS)


def test_good_answers_of_every_kind_are_stored_as_the_shared_rows(version):
    response = do_response_submit(version=version, answers=GOOD)
    rows = {}
    for row in Answer.objects.filter(response=response).select_related("question"):
        rows.setdefault(row.question.key, []).append((row.item, row.choice, row.number, row.text))
    assert rows["yn"] == [("", "", 1, "")]
    assert rows["one"] == [("", "other", None, "朋友介绍")]
    assert sorted(rows["many"]) == [("", "a", None, ""), ("", "c", None, "")]
    assert sorted(rows["rank"], key=lambda r: r[2]) == [
        ("b", "", 1, ""), ("a", "", 2, ""), ("c", "", 3, ""),
    ]  # fmt: skip
    assert rows["fill"] == [("", "", None, "北京")]
    assert sorted(rows["cmp"]) == [("p1", "a", None, ""), ("p2", "b", None, "")]
    assert sorted(rows["recall"], key=lambda r: r[2]) == [
        ("", "", 1, "海尔"), ("", "", 2, "美的"),
    ]  # fmt: skip
    assert sorted(rows["grid"]) == [("a", "", 5, ""), ("b", "", 3, "")]
    assert rows["free"] == [("", "", None, "很好的服务")]
    assert response.rating == 4 and response.nps == 9
    assert response.questionnaire_id == version.questionnaire_id


def test_no_with_false_and_single_choice_by_its_value(version):
    response = do_response_submit(version=version, answers={**GOOD, "yn": False, "one": "b"})
    assert Answer.objects.get(response=response, question__key="yn").number == 0
    assert Answer.objects.get(response=response, question__key="one").choice == "b"


BAD = [
    ("yn", "yes"),
    ("yn", 1),
    ("one", "z"),
    ("one", ["a"]),
    ("one", {"value": "other", "other": ""}),
    ("one", {"value": "a", "other": "x"}),
    ("many", ["a", "b", "c"]),  # more than max_choices
    ("many", ["a", "a"]),
    ("many", ["z"]),
    ("many", "a"),
    ("many", {"values": ["other"], "other": ""}),
    ("rank", ["a", "b"]),  # not every item
    ("rank", ["a", "a", "b"]),
    ("rank", ["a", "b", "z"]),
    ("fill", "两\n行"),
    ("fill", "长" * 21),
    ("fill", 5),
    ("cmp", {"p1": "a"}),  # a pair left out
    ("cmp", {"p1": "c", "p2": "a"}),
    ("cmp", {"p9": "a", "p1": "a", "p2": "a"}),
    ("cmp", "a"),
    ("recall", ["1", "2", "3", "4"]),
    ("recall", "海尔"),
    ("grid", {"a": 5}),  # a row left out
    ("grid", {"a": 6, "b": 3}),
    ("grid", {"z": 1, "a": 1, "b": 1}),
    ("free", "长" * 51),
    ("free", {"text": "x"}),
    ("overall", 6),
    ("overall", 0),
    ("overall", True),
    ("overall", "很好"),
    ("nps", 11),
    ("nps", -1),
    ("nps", 7.5),
]


@pytest.mark.parametrize(("key", "value"), BAD)
def test_a_bad_answer_names_its_question(version, key, value):
    with pytest.raises(DomainError) as error:
        check_answers(version=version, answers={**GOOD, key: value})
    assert error.value.field == key and error.value.status_code == 422


@pytest.mark.parametrize("key", [q["key"] for q in ALL_KINDS])
def test_a_required_question_left_blank_names_its_key(version, key):
    answers = {k: v for k, v in GOOD.items() if k != key}
    with pytest.raises(DomainError) as error:
        check_answers(version=version, answers=answers)
    assert error.value.field == key


def test_an_optional_question_may_be_left_blank_and_stores_nothing():
    version = make([{**q, "required": False} for q in ALL_KINDS])
    response = do_response_submit(version=version, answers={"free": "  ", "many": []})
    assert response.answers.count() == 0 and response.rating is None


def test_an_unknown_question_key_is_refused():
    version = make(ALL_KINDS[:1])
    with pytest.raises(DomainError) as error:
        check_answers(version=version, answers={"yn": True, "ghost": 1})
    assert error.value.field == "ghost"


def test_a_question_hidden_by_skip_logic_is_not_required_and_its_answer_ignored():
    version = make(
        [
            {"key": "s1", "kind": "scale", "text": "满意吗"},
            {
                "key": "why",
                "kind": "multiple",
                "text": "为什么",
                "options": OPTIONS,
                "show_if": {"question": "s1", "op": "lte", "values": [2]},
            },
            {
                "key": "more",
                "kind": "text",
                "text": "详细说说",
                "show_if": {"question": "why", "op": "in", "values": ["a"]},
            },
        ]
    )
    happy = do_response_submit(version=version, answers={"s1": 5, "why": ["zzz"], "more": "x"})
    assert list(happy.answers.values_list("question__key", flat=True)) == ["s1"]
    with pytest.raises(DomainError) as error:
        check_answers(version=version, answers={"s1": 1})
    assert error.value.field == "why"
    # "more" shows only when "why" holds a: otherwise it is not asked.
    assert len(check_answers(version=version, answers={"s1": 1, "why": ["b"]})) == 2
    with pytest.raises(DomainError) as error:
        check_answers(version=version, answers={"s1": 2, "why": ["a", "b"]})
    assert error.value.field == "more"


@pytest.mark.parametrize(
    ("rule", "answer", "asked"),
    [
        ({"op": "in", "values": [True]}, True, True),
        ({"op": "in", "values": ["yes"]}, False, False),
        ({"op": "not_in", "values": [True]}, False, True),
        ({"op": "answered"}, True, True),
        ({"op": "gte", "values": [1]}, True, True),
    ],
)
def test_skip_logic_operators_on_a_yes_no_answer(rule, answer, asked):
    version = make(
        [
            {"key": "q1", "kind": "yes_no", "text": "买过吗"},
            {
                "key": "q2",
                "kind": "fill_in",
                "text": "买了什么",
                "show_if": {"question": "q1", **rule},
            },
        ]
    )
    checked = check_answers(version=version, answers={"q1": answer, "q2": "冰箱"})
    assert [c.question.key for c in checked] == (["q1", "q2"] if asked else ["q1"])


def test_a_question_after_an_unanswered_optional_one_with_not_in_shows():
    version = make(
        [
            {"key": "q1", "kind": "single", "text": "来源", "options": OPTIONS, "required": False},
            {
                "key": "q2",
                "kind": "text",
                "text": "说说",
                "show_if": {"question": "q1", "op": "not_in", "values": ["a"]},
            },
        ]
    )
    with pytest.raises(DomainError) as error:
        check_answers(version=version, answers={})
    assert error.value.field == "q2"


def test_a_ranking_of_the_top_two_of_three(version):
    version = make(
        [{"key": "r", "kind": "ranking", "text": "前两名", "items": OPTIONS, "max_choices": 2}]
    )
    assert len(check_answers(version=version, answers={"r": ["c", "a"]})[0].rows) == 2
    with pytest.raises(DomainError):
        check_answers(version=version, answers={"r": ["c", "a", "b"]})


def test_an_anonymous_questionnaire_keeps_no_customer(version):
    card = make(ALL_KINDS[:1], anonymous=True)
    customer = CustomerFactory(tier="A")
    response = do_response_submit(version=card, answers={"yn": True}, customer=customer)
    assert response.customer_id is None and response.tier == "A"
    named = do_response_submit(version=version, answers=GOOD, customer=customer)
    assert named.customer_id == customer.pk
    assert Response.objects.count() == 2
