"""The rating after a contact: invited when the ticket is resolved or the chat ends, by the
customer's channel, answered once through a link without login, low ratings followed up."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory, desk_user
from huitou.chat.models import ChatSession
from huitou.chat.services import do_idle_chats_close
from huitou.chat.tests.conftest import ALL_DAY, hand_off_sync
from huitou.core.models import Notification, OutboxMessage
from huitou.customers.models import Customer
from huitou.customers.retention import do_customer_erase_on_request, personal_data_export
from huitou.customers.tests.factories import CustomerFactory
from huitou.portal.selectors import SESSION_KEY as PORTAL_SESSION
from huitou.sla.models import BusinessCalendar, Queue
from huitou.sms import backends as sms_backends
from huitou.surveys.models import FollowUp, Invitation, Response, SatisfactionRule
from huitou.surveys.questionnaires import do_questionnaire_create
from huitou.surveys.rating import do_contact_invites_send_due
from huitou.tickets.services import do_message_add, do_ticket_update
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def resolve(ticket, actor=None):
    return do_ticket_update(
        actor=actor or ticket_actor(), ticket=ticket, changes={"status": "resolved"}
    )


def ticket_actor():
    return desk_user()


def answer(url: str, body):
    return Client().post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def supervisor(db):
    return UserFactory(username="lead", role="supervisor")


def test_a_resolved_email_ticket_is_invited_at_once_by_email_with_the_link(api_as, supervisor):
    customer = CustomerFactory(email="wang@example.com")
    ticket = TicketFactory(customer=customer, channel="email", contact_email="wang@example.com")
    resolve(ticket)
    body = api_as(supervisor).get(f"tickets/{ticket.pk}").json()
    satisfaction = body["satisfaction"]
    assert satisfaction["state"] == "invited" and satisfaction["rating"] is None
    assert satisfaction["url"].startswith("http") and "/s/r/" in satisfaction["url"]
    outbox = OutboxMessage.objects.get(kind="survey")
    assert outbox.to == ["wang@example.com"] and satisfaction["url"] in outbox.body
    assert call_command_output("send-due").startswith("已发送服务评价邀请 0 条")


def call_command_output(*args) -> str:
    out = StringIO()
    call_command("surveys", *args, stdout=out)
    return out.getvalue()


def test_an_open_ticket_has_no_satisfaction_and_a_phone_ticket_waits_for_send_due(
    api_as, supervisor, settings
):
    settings.HUITOU_NOTIFY_SMS = True
    ticket = TicketFactory(channel="phone", customer=CustomerFactory(phone="13912345678"))
    client = api_as(supervisor)
    assert client.get(f"tickets/{ticket.pk}").json()["satisfaction"]["state"] == "none"
    resolve(ticket)
    assert client.get(f"tickets/{ticket.pk}").json()["satisfaction"]["state"] == "scheduled"
    sms_backends.outbox.clear()
    assert "已发送服务评价邀请 1 条" in call_command_output("send-due")
    satisfaction = client.get(f"tickets/{ticket.pk}").json()["satisfaction"]
    assert satisfaction["state"] == "invited" and satisfaction["channel"] == "sms"
    assert len(sms_backends.outbox) == 1 and satisfaction["url"] in sms_backends.outbox[0].text
    assert call_command_output("send-due").startswith("已发送服务评价邀请 0 条")  # sent once


def test_a_low_rating_by_json_answers_200_and_opens_a_follow_up_for_supervisors(
    api_as, supervisor, django_capture_on_commit_callbacks
):
    agent = UserFactory(username="agent7", role="agent")
    ticket = TicketFactory(channel="web", assignee=agent, customer=CustomerFactory(email="a@b.cn"))
    resolve(ticket)
    url = Invitation.objects.get(ticket=ticket).token
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(url, {"rating": 1, "comment": "等了三天没人理", "reason": "waiting"})
    assert response.status_code == 200, response.content
    assert response.json()["rating"] == 1 and response.json()["change_url"]
    stored = Response.objects.get()
    assert (stored.rating, stored.reason, stored.comment) == (1, "waiting", "等了三天没人理")
    assert stored.agent == agent and stored.channel == "web" and stored.tier == ticket.customer.tier
    follow_up = FollowUp.objects.get(response=stored)
    assert follow_up.state == "open"
    assert Notification.objects.filter(recipient=supervisor, kind="survey_low_rating").exists()
    assert not Notification.objects.filter(recipient=agent, kind="survey_low_rating").exists()
    body = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]
    assert body["state"] == "answered" and body["rating"] == 1
    listed = api_as(supervisor).get("satisfaction/follow-ups").json()["items"]
    assert [row["ticket_number"] for row in listed] == [ticket.number]
    assert api_as(agent).get("satisfaction/follow-ups").status_code == 403


def test_a_good_rating_opens_no_follow_up_and_drops_a_reason(api_as, supervisor):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="c@d.cn"))
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    assert answer(url, {"rating": 5, "reason": "waiting"}).status_code == 200
    assert Response.objects.get().reason == "" and not FollowUp.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, -1, "5a", True, None, 3.5, "", [4], {"v": 4}])
def test_a_bad_rating_is_422_naming_the_field_and_saves_nothing(api_as, supervisor, rating):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="e@f.cn"))
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    response = answer(url, {"rating": rating})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", "rating"]
    assert not Response.objects.exists()
    assert Invitation.objects.get().state == "invited"


def test_an_unknown_reason_or_overlong_comment_is_422_naming_it(api_as, supervisor):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="g@h.cn"))
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    assert answer(url, {"rating": 1, "reason": "nope"}).json()["detail"][0]["loc"][1] == "reason"
    long = answer(url, {"rating": 1, "comment": "长" * 2001})
    assert long.status_code == 422 and long.json()["detail"][0]["loc"][1] == "comment"
    assert answer(url, ["rating", 5]).status_code == 400
    assert not Response.objects.exists()


def test_a_used_link_is_409_an_expired_one_410_an_unknown_one_404(api_as, supervisor):
    first = TicketFactory(channel="web", customer=CustomerFactory(email="i@j.cn"))
    second = TicketFactory(channel="web", customer=CustomerFactory(email="k@l.cn"))
    resolve(first)
    resolve(second)
    client = api_as(supervisor)
    used = client.get(f"tickets/{first.pk}").json()["satisfaction"]["url"]
    assert answer(used, {"rating": 4}).status_code == 200
    again = answer(used, {"rating": 2})
    assert again.status_code == 409 and Response.objects.get().rating == 4
    stale = client.get(f"tickets/{second.pk}").json()["satisfaction"]["url"]
    Invitation.objects.filter(ticket=second).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert answer(stale, {"rating": 4}).status_code == 410
    assert answer(used.replace("/s/r/", "/s/r/x"), {"rating": 4}).status_code == 404
    assert Response.objects.count() == 1


def test_the_answering_browser_may_change_its_rating_for_a_few_days(api_as, supervisor):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="m@n.cn"))
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    change_url = answer(url, {"rating": 5}).json()["change_url"]
    changed = answer(change_url, {"rating": 2, "reason": "unsolved"})
    assert changed.status_code == 200 and changed.json()["changed_at"]
    stored = Response.objects.get()
    assert stored.rating == 2 and FollowUp.objects.filter(response=stored).exists()
    Response.objects.update(answered_at=timezone.now() - timedelta(days=4))
    assert answer(change_url, {"rating": 3}).status_code == 410
    assert Response.objects.get().rating == 2 and Response.objects.count() == 1


def test_the_rating_page_works_without_login_and_its_form_answers(api_as, supervisor):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="o@p.cn"))
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    path = url.split("8000", 1)[-1] if "8000" in url else url
    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200
    for label in ("很好", "好", "较好", "一般", "差", "等待时间太长"):
        assert label in page.content.decode()
    bad = browser.post(path, {"rating": "9"})
    assert bad.status_code == 422 and "1 到 5" in bad.content.decode()
    done = browser.post(path, {"rating": "2", "reason": "attitude", "comment": "态度差"})
    assert done.status_code == 200 and "感谢您的评价" in done.content.decode()
    assert Response.objects.get().reason == "attitude"
    again = browser.get(path)  # the cookie lets this browser change it
    assert again.status_code == 200 and "您正在修改" in again.content.decode()
    assert Client().get(path).status_code == 200  # anyone else: "already rated"
    assert "已经评价过" in Client().get(path).content.decode()


def test_a_rule_delays_samples_and_cools_down_per_channel_and_tier(api_as, supervisor):
    now = timezone.now()
    SatisfactionRule.objects.create(channel="web", delay_minutes=60, cooldown_days=7)
    SatisfactionRule.objects.create(channel="web", tier="A", sample_percent=0)
    customer = CustomerFactory(email="q@r.cn")
    delayed = TicketFactory(channel="web", customer=customer)
    resolve(delayed)
    invitation = Invitation.objects.get(ticket=delayed)
    assert invitation.state == "scheduled" and invitation.due_at > now + timedelta(minutes=59)
    assert do_contact_invites_send_due(now=now) == 0
    assert do_contact_invites_send_due(now=now + timedelta(minutes=61)) == 1
    cooled = TicketFactory(channel="web", customer=customer)
    resolve(cooled)
    satisfaction = api_as(supervisor).get(f"tickets/{cooled.pk}").json()["satisfaction"]
    assert satisfaction["state"] == "none" and satisfaction["skipped"] == "cooldown"
    vip = TicketFactory(channel="web", customer=CustomerFactory(email="s@t.cn", tier="A"))
    resolve(vip)
    assert Invitation.objects.get(ticket=vip).skip_reason == "sampled_out"
    Invitation.objects.filter(ticket=delayed).update(created_at=now - timedelta(days=8))
    later = TicketFactory(channel="web", customer=customer)
    resolve(later)
    assert Invitation.objects.get(ticket=later).state == "scheduled"


def test_never_for_a_merged_customer_nor_a_ticket_closed_without_an_answer(api_as, supervisor):
    spam = TicketFactory(channel="email", customer=CustomerFactory(email="spam@x.cn"))
    do_ticket_update(actor=ticket_actor(), ticket=spam, changes={"status": "closed"})
    assert Invitation.objects.get(ticket=spam).skip_reason == "unanswered"
    survivor, duplicate = CustomerFactory(), CustomerFactory(email="dup@x.cn")
    ticket = TicketFactory(channel="web", customer=duplicate)
    Customer.objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    ticket.refresh_from_db()
    resolve(ticket)
    assert Invitation.objects.get(ticket=ticket).skip_reason == "merged"
    answered = TicketFactory(channel="email", customer=CustomerFactory(email="ok@x.cn"))
    do_message_add(actor=ticket_actor(), ticket=answered, body="已为您处理。", public=True)
    answered.refresh_from_db()
    do_ticket_update(actor=ticket_actor(), ticket=answered, changes={"status": "closed"})
    assert Invitation.objects.get(ticket=answered).state == "invited"


def test_a_reopened_and_resolved_again_ticket_is_asked_once(api_as, supervisor):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="u@v.cn"))
    resolve(ticket)
    ticket.refresh_from_db()
    do_ticket_update(actor=ticket_actor(), ticket=ticket, changes={"status": "open"})
    ticket.refresh_from_db()
    resolve(ticket)
    assert Invitation.objects.filter(ticket=ticket).count() == 1
    assert OutboxMessage.objects.filter(kind="survey").count() == 1


def test_an_ended_chat_gets_the_rating_card_in_the_chat_once(db, settings):
    settings.HUITOU_RATE_LIMITS = {
        **settings.HUITOU_RATE_LIMITS,
        "bot_handoff": ("100/m", "1000/h"),
    }
    calendar = BusinessCalendar.objects.create(name="全天", timezone="Asia/Shanghai", hours=ALL_DAY)
    queue = Queue.objects.create(
        name="在线客服", channel="chat", strategy=Queue.Strategy.PULL, calendar=calendar, order=1
    )
    agent = UserFactory(username="zhang", full_name="张客服", role="agent")
    queue.members.add(agent)
    staff = Client()
    staff.force_login(agent)
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    staff.post(f"/api/v1/chat/sessions/{chat.pk}/accept", content_type="application/json")
    ended = staff.post(f"/api/v1/chat/sessions/{chat.pk}/end", content_type="application/json")
    assert ended.status_code == 200, ended.content
    invitation = Invitation.objects.get(ticket=chat.ticket)
    assert invitation.state == "invited" and invitation.channel == "chat"
    lines = [m.body for m in chat.ticket.messages.filter(sender="system").order_by("pk")]
    assert sum(f"/s/r/{invitation.token}/" in line for line in lines) == 1
    assert len(mail.outbox) == 0


def test_the_customers_answers_are_exported_and_erased_with_their_data(api_as, supervisor):
    customer = CustomerFactory(email="w@x.cn")
    ticket = TicketFactory(channel="web", customer=customer)
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    answer(url, {"rating": 3, "comment": "还行，我的电话 13900001111"})
    exported = json.loads(personal_data_export(actor=None, customer=customer, channel="test"))
    assert exported["surveys"][0]["comment"].startswith("还行")
    do_customer_erase_on_request(actor=None, customer=customer, reason="客户要求", channel="test")
    stored = Response.objects.get()
    assert stored.comment == "" and stored.customer is None and stored.rating == 3
    assert Invitation.objects.get().address == ""


def test_a_chat_closed_because_the_customer_left_is_not_rated_in_the_chat(db, settings):
    settings.HUITOU_RATE_LIMITS = {
        **settings.HUITOU_RATE_LIMITS,
        "bot_handoff": ("100/m", "1000/h"),
    }
    calendar = BusinessCalendar.objects.create(name="全天", timezone="Asia/Shanghai", hours=ALL_DAY)
    queue = Queue.objects.create(
        name="在线客服", channel="chat", strategy=Queue.Strategy.PULL, calendar=calendar, order=1
    )
    agent = UserFactory(username="li", full_name="李客服", role="agent")
    queue.members.add(agent)
    staff = Client()
    staff.force_login(agent)
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    staff.post(f"/api/v1/chat/sessions/{chat.pk}/accept", content_type="application/json")
    do_idle_chats_close(now=timezone.now() + timedelta(minutes=45))
    invitation = Invitation.objects.get(ticket=chat.ticket)
    assert invitation.channel != "chat"
    bodies = chat.ticket.messages.values_list("body", flat=True)
    assert not any("/s/r/" in body for body in bodies)


def test_the_follow_up_page_lists_low_ratings_and_records_the_call_back(api_as, supervisor):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="y@z.cn"))
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    answer(url, {"rating": 1, "reason": "attitude", "comment": "态度太差"})
    follow_up = FollowUp.objects.get()
    page = Client()
    page.force_login(supervisor)
    listed = page.get("/surveys/follow-ups/").content.decode()
    assert ticket.number in listed and "服务态度不好" in listed
    empty = page.post(f"/surveys/follow-ups/{follow_up.pk}/done/", {"outcome": " "})
    assert empty.status_code == 302 and FollowUp.objects.get().state == "open"
    page.post(f"/surveys/follow-ups/{follow_up.pk}/done/", {"outcome": "已回访致歉"})
    done = FollowUp.objects.get()
    assert done.state == "done" and done.done_by == supervisor and done.outcome == "已回访致歉"
    agent = Client()
    agent.force_login(UserFactory(username="plain", role="agent"))
    assert agent.get("/surveys/follow-ups/").status_code == 403
    assert "态度太差" in page.get(f"/tickets/{ticket.pk}/").content.decode()


def test_a_rules_questionnaire_is_asked_with_the_rating_and_checked_like_any(api_as, supervisor):
    questionnaire = do_questionnaire_create(
        actor=supervisor,
        data={
            "code": "AFTER-CALL",
            "title": "通话后评价",
            "body": {
                "sections": [
                    {
                        "questions": [
                            {"key": "N1", "kind": "nps", "text": "您有多大可能把我们推荐给朋友？"},
                            {
                                "key": "T1",
                                "kind": "text",
                                "text": "还有什么建议？",
                                "required": False,
                            },
                        ]
                    }
                ]
            },
        },
    )
    SatisfactionRule.objects.create(channel="web", questionnaire=questionnaire)
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="nps@x.cn"))
    resolve(ticket)
    url = api_as(supervisor).get(f"tickets/{ticket.pk}").json()["satisfaction"]["url"]
    path = url.split("8000", 1)[-1]
    assert "您有多大可能把我们推荐给朋友" in Client().get(path).content.decode()
    bad = answer(url, {"rating": 4, "answers": {"N1": 11}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "N1"]
    assert not Response.objects.exists()
    missing = answer(url, {"rating": 4, "answers": {}})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][1] == "N1"
    assert answer(url, {"rating": 4, "answers": {"N1": 9, "T1": "很好"}}).status_code == 200
    stored = Response.objects.get()
    assert (stored.rating, stored.nps, stored.version_id) == (
        4,
        9,
        questionnaire.current_version_id,
    )
    assert sorted(stored.answers.values_list("question__key", flat=True)) == ["N1", "T1"]


def test_the_portal_offers_the_customers_unanswered_ratings_only(api_as, supervisor):
    mine, theirs = CustomerFactory(email="me@x.cn"), CustomerFactory(email="you@x.cn")
    ticket = TicketFactory(channel="web", customer=mine, subject="热水器不出热水")
    resolve(ticket)
    resolve(TicketFactory(channel="web", customer=theirs, subject="别人的工单"))
    token = Invitation.objects.get(ticket=ticket).token
    client = Client()
    session = client.session
    session[PORTAL_SESSION] = {"customer": mine.pk, "channel": "email", "to": mine.email}
    session.save()
    page = client.get("/help/my/").content.decode()
    assert 'id="portal-ratings"' in page and f"/s/r/{token}/" in page
    assert "别人的工单" not in page
    answer(f"/s/r/{token}/", {"rating": 5})
    assert 'id="portal-ratings"' not in client.get("/help/my/").content.decode()
