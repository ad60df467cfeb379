"""Issue 12, point 13: an automatic priority raise that moves a ticket to another SLA
policy must not fire the new policy's steps that the old policy already fired (a second
"已超时" seconds after the first)."""

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.core.models import Notification
from huitou.customers.tests.factories import CustomerFactory
from huitou.sla.escalation import do_escalation_sweep
from huitou.sla.models import TicketSla
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_ticket_create, do_ticket_update

from .conftest import sh


def high_priority_ticket(agent) -> Ticket:
    ticket = do_ticket_create(
        actor=agent,
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="网络故障",
        priority="high",
    )
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    return ticket


@pytest.mark.django_db
def test_a_raise_into_another_policy_does_not_repeat_what_was_already_sent(clock):
    supervisor = UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    ticket = high_priority_ticket(agent)
    assert TicketSla.objects.get(pk=ticket.pk).policy.name == "默认"
    do_escalation_sweep(now=sh(11, 23, 15, 30))  # first-response breach
    do_escalation_sweep(now=sh(11, 25, 11, 53))  # 75 % of the resolution target
    # Thursday 10:00 the resolution target is missed; at 11:00 the priority goes up to
    # urgent, which the "紧急" policy (7×24, 8 hours) covers: by its clock every one of
    # its steps is long past.
    do_escalation_sweep(now=sh(11, 26, 11))
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert TicketSla.objects.get(pk=ticket.pk).policy.name == "紧急"
    do_escalation_sweep(now=sh(11, 26, 11, 1))  # a minute later, the next sweep

    breaches = Notification.objects.filter(kind="sla_breach", recipient=supervisor)
    titles = sorted(breaches.values_list("title", flat=True))
    assert titles == [
        f"SLA 已超时：{ticket.number}（解决）",
        f"SLA 已超时：{ticket.number}（首次响应）",
    ]
    assert Notification.objects.filter(kind="sla_warning", recipient=agent).count() == 1

    # Later changes of the clock do not bring the covered steps back.
    clock.set(sh(11, 26, 12))
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "pending"})
    clock.set(sh(11, 26, 13))
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "open"})
    do_escalation_sweep(now=sh(11, 26, 14))
    assert breaches.count() == 2
    assert Notification.objects.filter(kind="sla_warning").count() == 1


@pytest.mark.django_db
def test_a_policy_change_still_fires_a_breach_nobody_was_told_of(clock):
    """The other way round: a step that the old policy had not fired yet (its target was
    later) fires under the new policy as soon as it is due."""
    supervisor = UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=agent,
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="停电",
    )
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    # 11:00: under "默认" the first response is due at 15:30; an agent makes it urgent,
    # whose 30 minutes ran out at 10:30.
    clock.set(sh(11, 23, 11))
    ticket.refresh_from_db()
    do_ticket_update(actor=agent, ticket=ticket, changes={"priority": "urgent"})
    assert TicketSla.objects.get(pk=ticket.pk).policy.name == "紧急"
    do_escalation_sweep(now=sh(11, 23, 11))
    assert list(
        Notification.objects.filter(kind="sla_breach", recipient=supervisor).values_list(
            "title", flat=True
        )
    ) == [f"SLA 已超时：{ticket.number}（首次响应）"]
