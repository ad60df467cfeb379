import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.tests.factories import make_complaint
from huitou.quality.models import Inspection, SamplingPlan
from huitou.quality.sampling import do_plan_run, do_sampling_run
from huitou.quality.services import do_plan_create
from huitou.surveys.models import Response, SatisfactionSettings
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_ticket_update

from .helpers import conversation, general_card

pytestmark = pytest.mark.django_db


def resolved(agent, **fields) -> Ticket:
    ticket = conversation(agent=agent, replies=["您好，已为您处理。"], **fields)
    return do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})


def plan(kind, inspectors, percent=5, **fields) -> SamplingPlan:
    general_card()
    lead = UserFactory(role="supervisor")
    return do_plan_create(
        actor=lead, name=f"计划{kind}", kind=kind, percent=percent, inspectors=inspectors, **fields
    )


def test_a_share_per_agent_per_week_draws_at_least_one_each_and_is_idempotent():
    qa1, qa2 = UserFactory(role="qa"), UserFactory(role="qa")
    busy, quiet = UserFactory(role="agent"), UserFactory(role="agent")
    for _ in range(5):
        resolved(busy)
    resolved(quiet)
    share = plan("agent_share", [qa1, qa2], percent=40)
    made = do_plan_run(plan=share)
    # ⌈5 × 40 %⌉ = 2 of the busy agent's, ⌈1 × 40 %⌉ = 1 of the quiet one's.
    by_agent = {agent: sum(1 for i in made if i.agent_id == agent) for agent in (busy.pk, quiet.pk)}
    assert by_agent == {busy.pk: 2, quiet.pk: 1}
    # Round-robin among the plan's inspectors.
    assert [i.inspector_id for i in made] == [qa1.pk, qa2.pk, qa1.pk]
    assert do_plan_run(plan=share) == []
    assert Inspection.objects.filter(plan=share).count() == 3
    # The week tops up only when the share grows.
    for _ in range(3):
        resolved(busy)
    assert len(do_plan_run(plan=share)) == 2  # ⌈8 × 40 %⌉ = 4, two more


def test_every_low_rating_is_drawn_once():
    qa = UserFactory(role="qa")
    agent = UserFactory(role="agent")
    SatisfactionSettings.objects.create(low_at_most=2)
    rated = {}
    for rating in (1, 2, 3, 5):
        ticket = resolved(agent)
        Response.objects.create(ticket=ticket, rating=rating, answered_at=timezone.now())
        rated[rating] = ticket.pk
    low = plan("low_rating", [qa])
    made = do_plan_run(plan=low)
    assert sorted(i.ticket_id for i in made) == sorted([rated[1], rated[2]])
    assert do_sampling_run() == {low.name: 0}


def test_every_complaint_is_drawn():
    qa = UserFactory(role="qa")
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    Ticket.objects.filter(pk=complaint.pk).update(
        status="resolved", resolved_at=timezone.now(), assignee=agent
    )
    resolved(agent)  # a consultation: not drawn
    every = plan("complaint", [qa])
    made = do_plan_run(plan=every)
    assert [i.ticket_id for i in made] == [complaint.pk]
    assert made[0].agent_id == agent.pk
    assert do_plan_run(plan=every) == []


def test_a_random_share_of_all_conversations_same_sample_each_time():
    qa = UserFactory(role="qa")
    agent = UserFactory(role="agent")
    for _ in range(10):
        resolved(agent, channel="chat")
    resolved(agent, channel="email")  # not in the plan's channels
    sample = plan("random", [qa], percent=20, channels=["chat"])
    made = do_plan_run(plan=sample)
    assert len(made) == 2 and {i.ticket.channel for i in made} == {"chat"}
    assert do_plan_run(plan=sample) == []


def test_open_tickets_are_not_sampled():
    qa = UserFactory(role="qa")
    conversation(replies=["您好。"])
    assert do_plan_run(plan=plan("random", [qa], percent=100)) == []
