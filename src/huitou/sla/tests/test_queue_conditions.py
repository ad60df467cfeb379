"""A queue's tier condition holds: the VIP desk (tier A) never keeps a D customer's ticket,
whether the tier changes afterwards, a ticket is transferred, or the demo is loaded
(issue 11)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.models import AuditEntry
from huitou.customers.models import Tier, Transaction
from huitou.customers.services import do_customer_update
from huitou.customers.tests.factories import CustomerFactory
from huitou.customers.tiers import do_tier_override, do_tier_recompute, tier_on
from huitou.sla.models import Queue
from huitou.sla.routing import queue_for
from huitou.tickets.models import Status, Ticket
from huitou.tickets.services import do_ticket_create, do_ticket_update

pytestmark = pytest.mark.django_db


def file(actor, customer, **fields):
    return do_ticket_create(
        actor=actor, customer=customer, channel="phone",
        **({"type": "consultation", "subject": "来电"} | fields),
    )  # fmt: skip


def test_a_tier_change_moves_open_tickets_out_of_the_vip_desk_and_keeps_the_agent():
    vip_agent, agent = UserFactory(role="agent"), UserFactory(role="agent")
    Queue.objects.get(name="VIP 专席").members.set([vip_agent])
    Queue.objects.get(name="综合队列").members.set([agent])
    supervisor = UserFactory(role="supervisor")
    customer = CustomerFactory(tier="A")
    working, waiting, done = (file(supervisor, customer, subject=f"来电 {n}") for n in range(3))
    Ticket.objects.filter(pk=waiting.pk).update(assignee=None)
    do_ticket_update(actor=supervisor, ticket=done, changes={"status": Status.CLOSED})
    assert {t.queue.name for t in (working, waiting, done)} == {"VIP 专席"}

    do_customer_update(actor=supervisor, customer=customer, changes={"tier": "D"})

    working.refresh_from_db()
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert (working.queue.name, working.assignee) == ("综合队列", vip_agent)  # still theirs
    assert (waiting.queue.name, waiting.assignee) == ("综合队列", agent)  # offered anew
    assert done.queue.name == "VIP 专席"  # history: it was served there while the tier was A
    entry = AuditEntry.objects.for_object(working).filter(field="queue").latest("id")
    assert (entry.old_value, entry.new_value) == ("VIP 专席", "综合队列")


def test_the_nightly_recompute_and_an_override_requeue_too():
    supervisor = UserFactory(role="supervisor")
    rich, poor = CustomerFactory(tier="D"), CustomerFactory(tier="A")
    Transaction.objects.create(
        customer=rich, occurred_at=timezone.now() - timedelta(days=3), product="冰箱",
        quantity=1, amount=20000, profit=5000, state=Transaction.State.COMPLETED,
    )  # fmt: skip
    rich_ticket, poor_ticket = file(supervisor, rich), file(supervisor, poor)
    assert (rich_ticket.queue.name, poor_ticket.queue.name) == ("综合队列", "VIP 专席")
    do_tier_recompute()
    rich_ticket.refresh_from_db()
    poor_ticket.refresh_from_db()
    assert (rich_ticket.customer.tier, rich_ticket.queue.name) == ("A", "VIP 专席")
    assert (poor_ticket.customer.tier, poor_ticket.queue.name) == ("D", "综合队列")
    do_tier_override(
        actor=supervisor, customer=rich, tier="C", reason="合同到期",
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    rich_ticket.refresh_from_db()
    assert rich_ticket.queue.name == "综合队列"


def test_a_transfer_to_the_vip_desk_needs_a_tier_a_customer(api_as):
    supervisor = UserFactory(role="supervisor")
    vip = Queue.objects.get(name="VIP 专席")
    ticket = file(supervisor, CustomerFactory(tier="D"))
    client = api_as(supervisor)
    refused = client.post(f"tickets/{ticket.pk}/transfer", {"queue": vip.pk, "reason": "插队"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "queue"
    assert "VIP 专席" in refused.json()["detail"][0]["msg"]
    ticket.refresh_from_db()
    assert ticket.queue.name == "综合队列"
    a_ticket = file(supervisor, CustomerFactory(tier="A"))
    complaints = Queue.objects.get(name="投诉专席")
    moved = client.post(
        f"tickets/{a_ticket.pk}/transfer", {"queue": complaints.pk, "reason": "投诉"}
    )
    assert moved.status_code == 200 and moved.json()["queue"] == complaints.pk


def test_the_demo_routes_by_the_tiers_it_shows():
    call_command("demo", "--scale", "0.2", stdout=io.StringIO())  # 0.1 has no such case
    tickets = list(Ticket.objects.select_related("customer", "queue"))
    vip = [ticket for ticket in tickets if ticket.queue and ticket.queue.name == "VIP 专席"]
    assert vip, "the demo shows the VIP desk at work"
    # The demo ends with the nightly jobs, whose tier recompute may move a few customers (the
    # day's new chat visitors shift the shares): open tickets follow the new tier, closed ones
    # stay where they were served. So each ticket sits where the rules put it for the tier
    # its customer had when it was filed, or, if still open, for the tier they have now.
    for ticket in tickets:
        filed_tier = tier_on(customer=ticket.customer, moment=ticket.created_at)
        if ticket.status in {"resolved", "closed"}:
            if ticket.queue and ticket.queue.name == "VIP 专席":
                assert filed_tier == Tier.A, ticket.number
        else:
            assert ticket.queue == queue_for(ticket), ticket.number
        if filed_tier == ticket.customer.tier:
            assert ticket.queue == queue_for(ticket), ticket.number


def test_the_ticket_page_offers_only_queues_the_customer_may_enter(client):
    supervisor = UserFactory(role="supervisor")
    d_ticket = file(supervisor, CustomerFactory(tier="D"))
    a_ticket = file(supervisor, CustomerFactory(tier="A"))
    client.force_login(supervisor)

    def offered(ticket):
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
        form = page[page.index(f'action="/sla/transfer/{ticket.pk}/"') :]
        select = form[form.index('name="queue"') :]
        return select[: select.index("</select>")]

    vip = Queue.objects.get(name="VIP 专席")
    assert f'value="{vip.pk}"' not in offered(d_ticket)
    assert f'value="{vip.pk}"' in offered(a_ticket)
