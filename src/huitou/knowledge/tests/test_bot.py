import pytest

from huitou.knowledge.models import BotConversation, FaqEntry
from huitou.knowledge.services import do_faq_save
from huitou.tickets.models import Ticket

pytestmark = pytest.mark.django_db

KB = [
    ("物流", "运费怎么算？", "满 99 元包邮，不满收 8 元。", ["邮费多少", "快递费怎么收"]),
    ("售后", "怎么申请退款？", "在订单页点“申请退款”。", ["我要退钱", "退款流程"]),
    ("售后", "退款多久到账？", "3 个工作日内原路退回。", ["钱什么时候退回来"]),
    ("售后", "怎么换货？", "签收 15 天内可申请换货。", ["东西不合适能换吗"]),
    ("会员", "会员怎么开通？", "在“我的”页开通会员。", ["怎么成为会员"]),
]


@pytest.fixture
def kb():
    for category, question, answer, similar in KB:
        do_faq_save(
            actor=None, category=category, question=question, answer=answer, similar=similar
        )


GUEST = {"name": "李先生", "phone": "13700137000"}  # asked for at an anonymous hand-off


def ask(api_as, question, conversation=None):
    body = {"question": question, **GUEST}
    if conversation:
        body["conversation"] = conversation
    response = api_as(None).post("bot/ask", body)  # customers are not logged in
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_direct_answer(kb, api_as):
    body = ask(api_as, "运费怎么算")
    assert body["faq_question"] == "运费怎么算？" and "99" in body["answer"]
    assert body["handoff"] is False and body["suggestions"] == []
    assert FaqEntry.objects.get(question="运费怎么算？").times_served == 1


def test_a_clarification_offers_the_candidates(kb, api_as):
    body = ask(api_as, "会员和退款")
    assert body["faq_id"] is None and body["handoff"] is False
    assert 2 <= len(body["suggestions"]) <= 4
    assert {"会员怎么开通？", "怎么申请退款？"} <= {s["question"] for s in body["suggestions"]}


def test_an_unknown_question_is_handed_off_with_the_conversation_as_a_ticket(kb, api_as):
    first = ask(api_as, "运费怎么算")
    body = ask(api_as, "今天天气怎么样", first["conversation"])
    assert body["handoff"] is True and body["faq_id"] is None
    talk = BotConversation.objects.get(token=body["conversation"])
    ticket = talk.ticket
    assert ticket.channel == "chat" and ticket.number in body["answer"]
    transcript = "\n".join(ticket.messages.values_list("body", flat=True))
    assert "运费怎么算" in transcript and "今天天气怎么样" in transcript and "99" in transcript
    assert FaqEntry.objects.get(question="运费怎么算？").handoffs == 1
    # The next question in the same conversation goes to the same ticket.
    ask(api_as, "人工", body["conversation"])
    assert Ticket.objects.filter(channel="chat").count() == 1
    assert "人工" in ticket.messages.order_by("-id").first().body


def test_asking_for_a_person_always_hands_off(kb, api_as):
    for words in ("转人工", "人工客服", "我要人工"):
        body = ask(api_as, words)
        assert body["handoff"] is True, words
        assert BotConversation.objects.get(token=body["conversation"]).handoff_reason == (
            "customer_request"
        )


def test_bad_input_is_a_422(kb, api_as):
    client = api_as(None)
    assert client.post("bot/ask", {"question": ""}).status_code == 422
    assert client.post("bot/ask", {"question": "x" * 501}).status_code == 422
    bad = client.post("bot/ask", {"question": "运费", "conversation": "not-a-uuid"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "conversation"
    assert not BotConversation.objects.exists()


def test_bot_analytics_for_supervisors(kb, api_as, client):
    from huitou.accounts.tests.factories import UserFactory

    ask(api_as, "运费怎么算")  # resolved by itself
    talk = ask(api_as, "运费怎么算")
    ask(api_as, "转人工", talk["conversation"])  # answered, then a person anyway
    ask(api_as, "你们支持分期付款吗")
    ask(api_as, "可以分期付款吗")
    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    page = client.get("/kb/analytics/")
    assert page.status_code == 200
    data = page.context["data"]
    assert data["conversations"] == 4
    assert data["self_service_resolved"] == 1 and data["self_service_rate"] == 0.25
    assert data["handoff_reasons"].get("customer_request") == 1
    clusters = {c["question"]: c["count"] for c in data["unanswered_clusters"]}
    assert max(clusters.values()) == 2  # the two instalment questions are one cluster
    client.force_login(UserFactory(role="agent"))
    assert client.get("/kb/analytics/").status_code == 403


def test_a_hand_off_after_a_clarification_keeps_the_choices_in_the_thread(kb, api_as):
    first = ask(api_as, "会员和退款")
    body = ask(api_as, "转人工", first["conversation"])
    ticket = BotConversation.objects.get(token=body["conversation"]).ticket
    asked = ticket.messages.filter(body__startswith="我不太确定").get()
    assert "1. " in asked.body and "会员怎么开通？" in asked.body
