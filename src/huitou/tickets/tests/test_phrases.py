import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import ForbiddenPhrase, ForbiddenPhraseUse, Message
from huitou.tickets.phrases import (
    customer_salutation,
    forbidden_phrases_in,
    normalise_for_matching,
    standard_phrases_for,
)
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "这是 本公司的 规定！",
        "这是本公司的规定",
        "這是本公司的規定。",
        "抱歉，這是　本公司的、規定",
        "ＺＺ这是本公司的规定ＺＺ",
        "没看我正忙著嗎？",
    ],
)
def test_forbidden_phrases_survive_spaces_punctuation_and_traditional_characters(text):
    assert forbidden_phrases_in(text), text


@pytest.mark.parametrize(
    "text",
    [
        "您好，按照公司的退换货政策，我们为您办理。",
        "非常抱歉给您带来不便，我们马上为您处理。",
        "这是本公司的产品说明书。",
        "",
    ],
)
def test_a_normal_reply_is_not_flagged(text):
    assert forbidden_phrases_in(text) == []


def test_the_seeded_lexicon_is_the_list_of_the_spec():
    phrases = set(ForbiddenPhrase.objects.filter(is_pattern=False).values_list("phrase", flat=True))
    assert len(phrases) == 16
    assert {"你爱告哪儿告哪儿", "一分价钱一分货", "不可能，绝不可能发生这种事"} <= phrases


def test_an_admin_edit_to_the_lexicon_takes_effect_at_once():
    assert forbidden_phrases_in("随便你") == []
    ForbiddenPhrase.objects.create(phrase="随便你", kind="provocation")
    assert [hit.phrase for hit in forbidden_phrases_in("那随便你吧")] == ["随便你"]
    ForbiddenPhrase.objects.filter(phrase="随便你").update(active=False)
    assert forbidden_phrases_in("那随便你吧") == []


def test_normalisation_folds_width_case_and_script():
    assert normalise_for_matching("ＡＢＣ，這個 問題！") == "abc这个问题"


def test_a_reply_with_a_forbidden_phrase_is_warned_and_nothing_is_sent(api_as):
    agent = UserFactory(role="agent")
    ticket = TicketFactory()
    response = api_as(agent).post(
        f"tickets/{ticket.pk}/messages", {"body": "这是 本公司的 规定！不能退。"}
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["type"] == "forbidden_phrase" and detail["loc"][-1] == "body"
    assert "这是本公司的规定" in detail["msg"] and "建议" in detail["msg"]
    assert not Message.objects.filter(ticket=ticket).exists()


def test_the_agent_may_still_send_and_the_use_is_recorded(api_as):
    agent = UserFactory(role="agent")
    ticket = TicketFactory()
    response = api_as(agent).post(
        f"tickets/{ticket.pk}/messages",
        {"body": "這是本公司的規定，一個一個來", "confirm_forbidden": True},
    )
    assert response.status_code == 201
    uses = ForbiddenPhraseUse.objects.filter(author=agent)
    assert sorted(uses.values_list("phrase__phrase", flat=True)) == [
        "一个一个来",
        "这是本公司的规定",
    ]


def test_internal_notes_are_not_checked(api_as):
    agent = UserFactory(role="agent")
    ticket = TicketFactory()
    response = api_as(agent).post(
        f"tickets/{ticket.pk}/messages", {"body": "客户说：这是本公司的规定？", "public": False}
    )
    assert response.status_code == 201
    assert not ForbiddenPhraseUse.objects.exists()


def test_a_reply_with_an_unfilled_variable_is_refused(api_as):
    ticket = TicketFactory()
    response = api_as(UserFactory(role="agent")).post(
        f"tickets/{ticket.pk}/messages", {"body": "{客户称呼}您好，已处理。"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "unfilled_variable"


def test_the_check_endpoint_warns_while_typing(api_as):
    client = api_as(UserFactory(role="agent"))
    hit = client.post("phrases/check", {"text": "你也有不對的地方"}).json()
    assert hit["ok"] is False and hit["matches"][0]["phrase"] == "你也有不对的地方"
    assert client.post("phrases/check", {"text": "您说得很有道理"}).json() == {
        "ok": True,
        "warning": "",
        "matches": [],
    }


def test_standard_phrases_cover_the_ten_categories_with_variables_filled():
    customer = CustomerFactory(name="王建国", gender="male", kind="individual")
    ticket = TicketFactory(customer=customer)
    groups = standard_phrases_for(ticket)
    assert [group["label"] for group in groups] == [
        "问候", "迎送", "请托", "致谢", "征询", "应答", "赞赏", "祝贺", "推脱", "道歉"
    ]  # fmt: skip
    texts = [phrase["text"] for group in groups for phrase in group["phrases"]]
    assert any(text.startswith("您好，王先生") for text in texts)
    assert any(ticket.number in text for text in texts)
    assert not any("{客户称呼}" in text or "{工单号}" in text for text in texts)


def test_the_promised_date_comes_from_the_complaint():
    from huitou.complaints.tests.factories import make_complaint

    complaint = make_complaint()
    complaint.promised_date = complaint.received_at.date().replace(month=11, day=25)
    complaint.save()
    texts = [
        phrase["text"]
        for group in standard_phrases_for(complaint.ticket)
        for phrase in group["phrases"]
    ]
    assert any("11月25日前给您明确答复" in text for text in texts)


@pytest.mark.parametrize(
    ("name", "gender", "kind", "expected"),
    [
        ("王建国", "male", "individual", "王先生"),
        ("李娜", "female", "individual", "李女士"),
        ("张三", "", "individual", ""),  # no gender: the neutral 您 form, never the full name
        ("海尔专卖店", "", "organization", ""),
    ],
)
def test_customer_salutation(name, gender, kind, expected):
    assert (
        customer_salutation(CustomerFactory.build(name=name, gender=gender, kind=kind)) == expected
    )


def test_the_ticket_page_warns_and_offers_to_send_anyway(client):
    agent = UserFactory(role="agent")
    ticket = TicketFactory()
    client.force_login(agent)
    page = client.post(
        f"/tickets/{ticket.pk}/reply/", {"body": "你去找消协吧", "public": "on"}, follow=True
    ).content.decode()
    assert "服务忌语" in page and 'name="confirm_forbidden"' in page
    assert not Message.objects.filter(ticket=ticket).exists()
    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"body": "你去找消协吧", "public": "on", "confirm_forbidden": "on"},
    )
    assert response.status_code == 302
    assert ForbiddenPhraseUse.objects.filter(author=agent).count() == 1
    warning = client.post("/tickets/phrases/check/", {"body": "你怎么这么讲话"}).content.decode()
    assert "你怎么这么讲话" in warning
    assert client.post("/tickets/phrases/check/", {"body": "好的"}).content.decode().strip() == ""
