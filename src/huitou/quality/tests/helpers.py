"""Conversations for the QA tests, made through the ticket services."""

from datetime import timedelta

from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.quality.defaults import ensure_quality_defaults
from huitou.quality.models import Inspection, Scorecard, ScorecardItem
from huitou.quality.services import do_inspection_create, do_inspection_score, do_inspection_submit
from huitou.tickets.models import Message, Ticket
from huitou.tickets.services import do_customer_message_add, do_message_add, do_ticket_create


def conversation(*, agent=None, channel="email", replies=(), customer_says=(), **fields) -> Ticket:
    """A ticket whose agent sent `replies` (public); the customer's lines come first."""
    agent = agent or UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=agent,
        customer=fields.pop("customer", None) or CustomerFactory(),
        channel=channel,
        type=fields.pop("type", "consultation"),
        subject=fields.pop("subject", "咨询冰箱保修"),
        description=fields.pop("description", "客户询问冰箱保修期。"),
        assignee=agent,
        **fields,
    )
    for line in customer_says:
        do_customer_message_add(ticket=ticket, body=line)
    for line in replies:
        do_message_add(actor=agent, ticket=ticket, body=line, public=True, confirm_forbidden=True)
    ticket.refresh_from_db()
    return ticket


def backdate(message: Message, minutes: float) -> None:
    """Put a message `minutes` before now (services stamp only now)."""
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def general_card() -> Scorecard:
    ensure_quality_defaults()
    return Scorecard.objects.get(builtin="general")


def simple_card(*items) -> Scorecard:
    """A scorecard of (key, weight, critical) items, for hand-computed scores."""
    card = Scorecard.objects.create(name=f"测试评分表{Scorecard.objects.count()}")
    for position, (key, weight, critical) in enumerate(items):
        ScorecardItem.objects.create(
            scorecard=card, key=key, label=key, weight=weight, critical=critical, position=position
        )
    return card


def scored(accuracy: str) -> Inspection:
    """A submitted inspection on a two-item card: greeting (10) met, the critical accuracy
    item (30) `accuracy` ("pass" scores 100, "fail" zeroes the score)."""
    qa = UserFactory(role="qa")
    card = simple_card(("greeting", 10, False), ("accuracy", 30, True))
    inspection = do_inspection_create(
        ticket=conversation(), scorecard=card, inspector=qa, source="manual"
    )
    do_inspection_score(
        actor=qa,
        inspection=inspection,
        items={"greeting": {"result": "pass"}, "accuracy": {"result": accuracy}},
    )
    return do_inspection_submit(actor=qa, inspection=inspection)
