from datetime import timedelta

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.services import do_customer_update
from huitou.customers.tests.factories import CustomerFactory
from huitou.sla.calendars import compiled_calendar
from huitou.sla.models import EscalationAction, TicketSla
from huitou.tickets.services import do_message_add, do_ticket_create, do_ticket_update

from .conftest import sh

pytestmark = pytest.mark.django_db
HOUR = 3600


def new_ticket(agent, *, tier="C", **fields):
    values = {"channel": "phone", "type": "consultation", "subject": "冰箱不制冷"}
    values.update(fields)
    return do_ticket_create(actor=agent, customer=CustomerFactory(tier=tier), **values)


def test_a_new_ticket_gets_the_default_policy_in_business_time(clock):
    ticket = new_ticket(UserFactory(role="agent"))
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.policy.name == "默认"
    assert sla.first_response_due == sh(11, 23, 15, 30)  # 4 working hours over lunch
    assert sla.resolution_due == sh(11, 26, 10)  # 3 working days of 7.5 hours


def test_tier_a_complaints_get_the_courses_standard(clock):
    ticket = new_ticket(UserFactory(role="agent"), tier="A", type="complaint")
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.policy.name == "A 类客户投诉"
    assert sla.first_response_due == sh(11, 23, 10, 30)  # 30 working minutes
    assert sla.resolution_due == sh(11, 24, 10)  # one working day


def test_pausing_while_pending_moves_the_due_time_by_exactly_the_paused_business_time(clock):
    agent = UserFactory(role="agent")
    ticket = new_ticket(agent)
    before = TicketSla.objects.get(pk=ticket.pk).resolution_due
    clock.set(sh(11, 23, 11))
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "pending"})
    paused = TicketSla.objects.get(pk=ticket.pk)
    assert paused.paused_at == sh(11, 23, 11)
    assert not EscalationAction.objects.filter(
        ticket=ticket, status="pending", step__metric="resolution"
    ).exists()  # a stopped clock does not escalate

    clock.set(sh(11, 24, 10))
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "open"})

    sla = TicketSla.objects.get(pk=ticket.pk)
    paused_business = 1 * HOUR + 4.5 * HOUR + 1 * HOUR  # 11–12, 13:30–18, 9–10
    assert sla.paused_seconds == paused_business
    calendar = compiled_calendar(sla.policy.calendar)
    assert sla.resolution_due == calendar.add(before, paused_business) == sh(11, 26, 18)
    assert sla.paused_at is None
    actions = EscalationAction.objects.filter(ticket=ticket, status="pending")
    assert actions.filter(step__trigger="breach", step__metric="resolution").get().fire_at == (
        sla.resolution_due
    )


def test_a_tier_change_recomputes_the_due_times(clock):
    agent = UserFactory(role="agent")
    ticket = new_ticket(agent, tier="C")
    assert TicketSla.objects.get(pk=ticket.pk).policy.name == "默认"
    clock.advance(minutes=5)
    do_customer_update(actor=agent, customer=ticket.customer, changes={"tier": "A"})
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.policy.name == "A 类客户"
    assert sla.first_response_due == sh(11, 23, 10, 30)  # from the ticket's start, not now
    assert sla.resolution_due == sh(11, 25, 10)


def test_a_priority_change_recomputes_on_the_hotline_calendar(clock):
    agent = UserFactory(role="supervisor")
    clock.set(sh(11, 21, 22))  # Saturday night
    ticket = new_ticket(agent)
    do_ticket_update(actor=agent, ticket=ticket, changes={"priority": "urgent"})
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.policy.name == "紧急"
    assert sla.first_response_due == sh(11, 21, 22, 30)  # 7×24
    assert sla.resolution_due == sh(11, 22, 6)


def test_first_response_and_resolution_close_their_clocks(clock, api_as):
    agent = UserFactory(role="agent")
    ticket = new_ticket(agent)
    clock.advance(minutes=20)
    do_message_add(actor=agent, ticket=ticket, body="您好，已收到。", public=True)
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.first_response_at == sh(11, 23, 10, 20)
    pending = EscalationAction.objects.filter(ticket=ticket, status="pending")
    assert not pending.filter(step__metric="first_response").exists()
    body = api_as(agent).get(f"tickets/{ticket.pk}").json()["sla"]
    assert body["policy"] == "默认" and body["state"] == "on_track"
    clock.set(sh(11, 24, 9))
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})
    assert not EscalationAction.objects.filter(ticket=ticket, status="pending").exists()
    body = api_as(agent).get(f"tickets/{ticket.pk}").json()["sla"]
    assert body["state"] == "met" and body["remaining_seconds"] is None


def test_sla_states_on_track_at_risk_and_breached(clock, api_as):
    agent = UserFactory(role="agent")
    ticket = new_ticket(agent)
    client = api_as(agent)
    body = client.get(f"tickets/{ticket.pk}").json()["sla"]
    assert (body["state"], body["remaining_seconds"]) == ("on_track", 4 * HOUR)
    clock.set(sh(11, 23, 14, 45))  # 3 of 4 working hours used: 75 %
    assert client.get(f"tickets/{ticket.pk}").json()["sla"]["state"] == "at_risk"
    clock.set(sh(11, 23, 16))
    body = client.get(f"tickets/{ticket.pk}").json()["sla"]
    assert (body["state"], body["remaining_seconds"]) == ("breached", -30 * 60)


def test_the_preview_matches_what_a_real_ticket_gets(clock, api_as):
    agent = UserFactory(role="agent")
    clock.set(sh(11, 20, 16, 40))  # Friday afternoon
    ticket = new_ticket(agent, tier="A", type="complaint", channel="web")
    real = api_as(agent).get(f"tickets/{ticket.pk}").json()["sla"]
    preview = api_as(agent).get(
        "sla/preview", tier="A", type="complaint", priority="normal", channel="web",
        start=sh(11, 20, 16, 40).isoformat(),
    ).json()  # fmt: skip
    assert preview["policy"] == real["policy"] == "A 类客户投诉"
    assert preview["first_response_due"] == real["first_response_due"]
    assert preview["resolution_due"] == real["resolution_due"]


def test_reopening_restarts_the_resolution_escalations(clock):
    agent = UserFactory(role="agent")
    ticket = new_ticket(agent)
    clock.advance(hours=1)
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})
    clock.advance(hours=1)
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "open"})
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.resolved_at is None
    assert (
        EscalationAction.objects.filter(
            ticket=ticket, status="pending", step__metric="resolution"
        ).count()
        == 3
    )
    assert sla.resolution_due - sla.started_at > timedelta(days=2)


def test_a_customer_message_sets_the_next_response_due_and_a_reply_clears_it(clock, api_as):
    from huitou.tickets.services import do_customer_message_add

    agent = UserFactory(role="agent")
    ticket = new_ticket(agent)
    do_message_add(actor=agent, ticket=ticket, body="您好，请问型号是？", public=True)
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "pending"})
    clock.set(sh(11, 23, 17))
    do_customer_message_add(ticket=ticket, body="型号是 BCD-470")
    ticket.refresh_from_db()
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert ticket.status == "open" and sla.paused_at is None
    assert sla.next_response_due == sh(11, 24, 17, 30)  # 8 working hours: 1 h, then 3 h + 4 h
    assert api_as(agent).get(f"tickets/{ticket.pk}").json()["sla"]["next_response_due"]
    clock.advance(minutes=10)
    do_message_add(actor=agent, ticket=ticket, body="收到，马上处理。", public=True)
    assert TicketSla.objects.get(pk=ticket.pk).next_response_due is None
