"""The public endpoints under flood: the portal's ticket form, the bot (questions and
hand-offs) and FAQ votes are rate-limited per client and in all, a conversation hands off
once, a long chat still reaches a person, and votes count once per visitor."""

import json
import re

import pytest
from django.test import Client, override_settings

from huitou.core.ratelimit import solve_challenge
from huitou.customers.models import Customer
from huitou.knowledge.bot import do_bot_ask
from huitou.knowledge.models import BotConversation, BotTurn, FaqEntry, FaqVote
from huitou.knowledge.portal import conversation_voter, do_faq_vote
from huitou.knowledge.services import do_faq_save
from huitou.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

# Day-long windows, so no test straddles the end of a window; small proof-of-work.
LIMITS = {
    "portal_ticket": ("5/d", "300/d"),
    "portal_vote": ("20/d", "2000/d"),
    "bot_ask": ("30/d", "3000/d"),
    "bot_handoff": ("5/d", "300/d"),
}
limits = override_settings(HUITOU_RATE_LIMITS=LIMITS, HUITOU_POW_DIFFICULTY=8)


@pytest.fixture
def kb():
    do_faq_save(actor=None, category="物流", question="运费怎么算？", answer="满 99 元包邮。",
                similar=["邮费多少"])  # fmt: skip
    return FaqEntry.objects.get()


def ticket_form(n: int) -> dict:
    return {"name": f"访客{n}", "question": f"发票怎么开 {n}", "details": "公司抬头"}


def challenge_in(page: str) -> tuple[str, int]:
    token = re.search(r'data-pow-challenge="([^"]+)"', page).group(1)
    difficulty = int(re.search(r'data-pow-difficulty="(\d+)"', page).group(1))
    return token, difficulty


GUEST = {"name": "李先生", "phone": "13700137000"}  # asked for at an anonymous hand-off


def ask(client: Client, question: str, conversation: str | None = None, **headers):
    body = {"question": question, "conversation": conversation, **GUEST}
    return client.post(
        "/api/v1/bot/ask", json.dumps(body), content_type="application/json", headers=headers
    )


@limits
def test_a_flood_of_portal_tickets_from_one_client_stops_at_its_limit():
    client = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [client.post("/help/ticket/", ticket_form(n)).status_code for n in range(150)]
    assert statuses.count(200) == 5 and statuses.count(429) == 145
    assert Ticket.objects.count() == 5 and Customer.objects.count() == 5  # nothing half-saved
    refused = client.post("/help/ticket/", ticket_form(999))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert 'id="pow-form"' in refused.content.decode()


@override_settings(HUITOU_RATE_LIMITS={**LIMITS, "portal_ticket": ("5/d", "20/d")})
def test_the_portal_ticket_form_has_a_global_limit_across_clients():
    statuses = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post("/help/ticket/", ticket_form(n)).status_code
        for n in range(30)
    ]
    assert statuses.count(200) == 20 and statuses.count(429) == 10
    assert Ticket.objects.count() == 20
    refused = Client(REMOTE_ADDR="198.51.100.99").post("/help/ticket/", ticket_form(99))
    assert refused.status_code == 429 and "Retry-After" in refused
    assert 'id="pow-form"' not in refused.content.decode()  # no way round the global limit


@limits
def test_a_client_over_its_limit_files_one_more_ticket_per_solved_challenge():
    client = Client(REMOTE_ADDR="203.0.113.5")
    for n in range(5):
        client.post("/help/ticket/", ticket_form(n))
    refused = client.post("/help/ticket/", ticket_form(5))
    token, difficulty = challenge_in(refused.content.decode())
    solved = {**ticket_form(5), "pow_challenge": token,
              "pow_solution": solve_challenge(token, difficulty)}  # fmt: skip
    done = client.post("/help/ticket/", solved)
    assert done.status_code == 200 and Ticket.objects.count() == 6
    assert Ticket.objects.get(subject="发票怎么开 5").number in done.content.decode()
    replay = client.post("/help/ticket/", solved)
    assert replay.status_code == 429 and Ticket.objects.count() == 6


@limits
def test_the_bot_is_rate_limited_with_429_json_and_a_challenge(kb):
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert all(ask(client, "邮费多少").status_code == 200 for _ in range(30))
    refused = ask(client, "邮费多少")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    body = refused.json()
    assert body["detail"] and body["challenge"]["algorithm"] == "sha256"
    turns = BotTurn.objects.count()
    token, difficulty = body["challenge"]["challenge"], body["challenge"]["difficulty"]
    headers = {"X-Huitou-PoW-Challenge": token,
               "X-Huitou-PoW-Solution": solve_challenge(token, difficulty)}  # fmt: skip
    assert ask(client, "邮费多少", **headers).status_code == 200
    assert ask(client, "邮费多少", **headers).status_code == 429  # not twice
    assert BotTurn.objects.count() == turns + 1


@limits
def test_bot_hand_offs_are_limited_per_client_and_a_refused_one_saves_nothing(kb):
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert [ask(client, "转人工").status_code for _ in range(7)] == [200] * 5 + [429] * 2
    # One browser (session): one visitor record for all its hand-offs.
    assert Ticket.objects.count() == 5 and Customer.objects.count() == 1
    assert BotConversation.objects.count() == 5 and BotTurn.objects.count() == 5
    assert ask(client, "邮费多少").status_code == 200  # questions the bot answers still work


@override_settings(HUITOU_RATE_LIMITS={**LIMITS, "bot_handoff": ("5/d", "8/d")})
def test_bot_hand_offs_have_a_global_limit_across_clients(kb):
    codes = [ask(Client(REMOTE_ADDR=f"198.51.100.{n}"), "转人工").status_code
             for n in range(12)]  # fmt: skip
    assert codes == [200] * 8 + [429] * 4 and Ticket.objects.count() == 8
    refused = ask(Client(REMOTE_ADDR="198.51.100.99"), "转人工")
    assert refused.status_code == 429 and "challenge" not in refused.json()


@limits
def test_a_conversation_hands_off_once(kb):
    client = Client(REMOTE_ADDR="203.0.113.5")
    first = ask(client, "转人工").json()
    talk = BotConversation.objects.get(token=first["conversation"])
    again = ask(client, "人工客服", first["conversation"]).json()
    # A person has the conversation now: no bot answer, the words went to the ticket.
    assert again["handoff"] is True and again["answer"] is None
    assert again["ticket_number"] == talk.ticket.number
    ask(client, "转人工", first["conversation"])
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1
    customer_says = list(
        talk.ticket.messages.filter(sender=Message.Sender.CUSTOMER).values_list("body", flat=True)
    )
    assert customer_says == ["转人工", "人工客服", "转人工"]


@limits
def test_a_long_chat_still_hands_off_with_each_turn_once(kb):
    talk = BotConversation.objects.create(token="6f1c1f8e-4e8a-4a52-9a4b-0c1d2e3f4a5b")
    questions = [f"第{n}个问题：" + "我的订单一直没有发货，" * 40 for n in range(50)]
    BotTurn.objects.bulk_create(
        BotTurn(conversation=talk, question=q[:500], decision="clarify", answer="您是想问：")
        for q in questions
    )
    assert sum(len(q[:500]) for q in questions) > 20_000
    token = str(talk.token)
    reply = do_bot_ask(question="转人工", conversation=token)
    assert reply["handoff"] is True
    talk.refresh_from_db()
    thread = list(talk.ticket.messages.values_list("body", flat=True))
    for question in questions:
        assert thread.count(question[:500]) == 1
    do_bot_ask(question="请快点", conversation=token)
    do_bot_ask(question="转人工", conversation=token)
    thread = list(talk.ticket.messages.values_list("body", flat=True))
    assert all(thread.count(question[:500]) == 1 for question in questions)
    assert thread.count("请快点") == 1 and thread.count("转人工") == 2
    assert Ticket.objects.count() == 1


@limits
def test_votes_from_thirty_fresh_sessions_count_once(kb):
    for _ in range(30):
        Client(REMOTE_ADDR="203.0.113.5").post(f"/help/faq/{kb.pk}/vote/", {"helpful": "1"})
    kb.refresh_from_db()
    assert (kb.helpful_votes, kb.unhelpful_votes) == (1, 0) and FaqVote.objects.count() == 1
    page = Client(REMOTE_ADDR="203.0.113.5").get(f"/help/faq/{kb.pk}/").content.decode()
    assert 'id="vote-thanks"' in page
    Client(REMOTE_ADDR="198.51.100.7").post(f"/help/faq/{kb.pk}/vote/", {"helpful": "0"})
    kb.refresh_from_db()
    assert (kb.helpful_votes, kb.unhelpful_votes) == (1, 1)  # another visitor counts
    assert "203.0.113.5" not in FaqVote.objects.values_list("voter", flat=True)[0]


def test_a_bot_conversation_votes_once_per_entry(kb):
    voter = conversation_voter("6f1c1f8e-4e8a-4a52-9a4b-0c1d2e3f4a5b")
    assert do_faq_vote(entry=kb, helpful=True, voter=voter) is True
    assert do_faq_vote(entry=kb, helpful=False, voter=voter) is False
    kb.refresh_from_db()
    assert (kb.helpful_votes, kb.unhelpful_votes) == (1, 0)


@override_settings(HUITOU_RATE_LIMITS={**LIMITS, "portal_vote": ("3/d", "2000/d")})
def test_votes_are_rate_limited(kb):
    client = Client(REMOTE_ADDR="203.0.113.5")
    codes = [client.post(f"/help/faq/{kb.pk}/vote/", {"helpful": "1"}).status_code
             for _ in range(5)]  # fmt: skip
    assert codes == [302] * 3 + [429] * 2


def test_the_bot_refuses_a_cross_site_text_plain_post(kb):
    response = Client().post(
        "/api/v1/bot/ask", json.dumps({"question": "转人工"}), content_type="text/plain"
    )
    assert 400 <= response.status_code < 500
    assert Ticket.objects.count() == 0
