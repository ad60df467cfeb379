"""Sampling plans draw conversations into the inspectors' queues, idempotently.

A run looks at the week containing `now` and the week before (a ticket resolved late on a
Sunday is still drawn on Monday). A plan draws a ticket once (a unique constraint), and a
share plan tops each agent's week up to its share, so running it again draws nothing new.
Samples are chosen with a random generator seeded by plan, week and agent: the same run gives
the same sample."""

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from huitou.surveys.models import Response, SatisfactionSettings
from huitou.tickets.models import DONE_STATUSES, Ticket, TicketType

from .models import Inspection, SamplingPlan
from .services import do_inspection_create, scorecard_for


@dataclass(frozen=True)
class Week:
    monday: date
    start: datetime
    end: datetime


def week_of(moment: datetime) -> Week:
    local = timezone.localtime(moment)
    monday = local.date() - timedelta(days=local.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    return Week(monday, start, start + timedelta(days=7))


def _done_in(plan: SamplingPlan, week: Week):
    tickets = Ticket.objects.filter(
        status__in=DONE_STATUSES,
        resolved_at__gte=week.start,
        resolved_at__lt=week.end,
        assignee__isnull=False,
    )
    if plan.channels:
        tickets = tickets.filter(channel__in=plan.channels)
    return tickets


def _low_at_most() -> int:
    row = SatisfactionSettings.objects.order_by("pk").first()
    return row.low_at_most if row else SatisfactionSettings._meta.get_field("low_at_most").default


def _candidates(plan: SamplingPlan, week: Week, drawn: set[int]) -> list[int]:
    """The ticket ids this plan should draw now, in order."""
    kind = plan.kind
    if kind == SamplingPlan.Kind.LOW_RATING:
        rated = Response.objects.filter(
            rating__lte=_low_at_most(),
            ticket__isnull=False,
            answered_at__gte=week.start,
            answered_at__lt=week.end,
        )
        if plan.channels:
            rated = rated.filter(ticket__channel__in=plan.channels)
        ids = rated.order_by("answered_at", "pk").values_list("ticket_id", flat=True)
        return [pk for pk in dict.fromkeys(ids) if pk not in drawn]
    done = _done_in(plan, week)
    if kind == SamplingPlan.Kind.COMPLAINT:
        ids = done.filter(type=TicketType.COMPLAINT).order_by("resolved_at", "pk")
        return [pk for pk in ids.values_list("pk", flat=True) if pk not in drawn]
    rows = list(done.order_by("pk").values_list("pk", "assignee__username"))
    if kind == SamplingPlan.Kind.RANDOM:
        return _sample(plan, week, "all", [pk for pk, _a in rows], drawn)
    by_agent: dict[str, list[int]] = {}
    for pk, agent in rows:
        by_agent.setdefault(agent or "", []).append(pk)
    chosen = []
    for agent, ids in sorted(by_agent.items()):
        chosen += _sample(plan, week, agent, ids, drawn)
    return chosen


def _sample(plan: SamplingPlan, week: Week, group, ids: list[int], drawn: set[int]) -> list[int]:
    """Top the group up to ⌈percent × its conversations⌉ drawn, at least one."""
    target = max(1, math.ceil(len(ids) * plan.percent / 100)) if ids else 0
    have = sum(1 for pk in ids if pk in drawn)
    rest = [pk for pk in ids if pk not in drawn]
    need = min(max(target - have, 0), len(rest))
    # Seeded by names, not ids: the same conversations give the same draw in any database.
    generator = random.Random(f"{plan.name}:{week.monday.isoformat()}:{group}")
    return sorted(generator.sample(rest, need))


def _next_inspector(plan: SamplingPlan, inspectors: list):
    """Round-robin: the inspector after the one who got the last draw."""
    ids = [user.pk for user in inspectors]
    if plan.last_inspector_id in ids:
        return inspectors[(ids.index(plan.last_inspector_id) + 1) % len(inspectors)]
    return inspectors[0]


@transaction.atomic
def do_plan_run(*, plan: SamplingPlan, now: datetime | None = None) -> list[Inspection]:
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    inspectors = [
        user
        for user in plan.inspectors.filter(is_active=True).order_by("pk")
        if user.has_perm("quality.inspect_conversations")
    ]
    if not plan.active or not inspectors:
        return []
    made = []
    current = week_of(now or timezone.now())
    for week in (week_of(current.start - timedelta(days=1)), current):
        drawn = set(Inspection.objects.filter(plan=plan).values_list("ticket_id", flat=True))
        tickets = Ticket.objects.in_bulk(_candidates(plan, week, drawn))
        for pk in sorted(tickets):
            ticket = tickets[pk]
            scorecard = plan.scorecard or scorecard_for(ticket)
            if scorecard is None or not scorecard.applies_to(ticket.channel):
                continue
            inspector = _next_inspector(plan, inspectors)
            made.append(
                do_inspection_create(
                    ticket=ticket,
                    scorecard=scorecard,
                    inspector=inspector,
                    source=Inspection.Source.PLAN,
                    plan=plan,
                    week=week.monday,
                )
            )
            plan.last_inspector = inspector
    plan.save(update_fields=["last_inspector"])
    return made


def do_sampling_run(*, now: datetime | None = None) -> dict[str, int]:
    """Run every active plan; plan name → conversations drawn now."""
    return {
        plan.name: len(do_plan_run(plan=plan, now=now))
        for plan in SamplingPlan.objects.filter(active=True).order_by("pk")
    }
