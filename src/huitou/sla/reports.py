"""SLA compliance (服务标准达成) for a period, in business time."""

from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from huitou.core.permissions import check_permission

from .calendars import compiled_calendar
from .models import TicketSla

GROUPS = ("policy", "tier", "type", "team", "agent")


def _rows(*, start: datetime, end: datetime, now: datetime):
    slas = (
        TicketSla.objects.filter(started_at__gte=start, started_at__lt=end)
        .select_related(
            "policy__calendar", "ticket__customer", "ticket__department", "ticket__assignee"
        )
        .order_by("started_at", "pk")
    )
    for sla in slas.iterator(chunk_size=1000):
        calendar = compiled_calendar(sla.policy.calendar)
        ticket = sla.ticket
        clock_now = sla.paused_at or now
        first_end = sla.first_response_at or now
        resolution_end = sla.resolved_at or clock_now
        yield {
            "sla": sla,
            "ticket": ticket,
            "keys": {
                "policy": (sla.policy_id, sla.policy.name),
                "tier": (ticket.customer.tier, ticket.customer.tier),
                "type": (ticket.type, ticket.get_type_display()),
                "team": (
                    ticket.department_id,
                    ticket.department.name if ticket.department else "—",
                ),
                "agent": (
                    ticket.assignee_id,
                    ticket.assignee.display_name if ticket.assignee else "—",
                ),
            },
            "first_breached": first_end > sla.first_response_due,
            "first_met": sla.first_response_at is not None
            and sla.first_response_at <= sla.first_response_due,
            "resolution_breached": resolution_end > sla.resolution_due,
            "resolution_met": sla.resolved_at is not None and sla.resolved_at <= sla.resolution_due,
            "first_minutes": (
                calendar.between(sla.started_at, sla.first_response_at) / 60
                if sla.first_response_at
                else None
            ),
            "resolution_minutes": (
                max(calendar.between(sla.started_at, sla.resolved_at) - sla.paused_seconds, 0) / 60
                if sla.resolved_at
                else None
            ),
        }


def _rate(met: int, breached: int) -> float | None:
    return round(met / (met + breached), 4) if met + breached else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def sla_compliance(
    *, user, start: datetime, end: datetime, group_by: str = "policy", now=None
) -> dict:
    """Per group: tickets, targets met and breached, compliance rates, and the average
    business minutes to first response and to resolution; also the overall figures."""
    check_permission(user, "core.view_reports")
    now = now or timezone.now()
    groups: dict = defaultdict(lambda: defaultdict(list))
    overall: dict = defaultdict(list)
    for row in _rows(start=start, end=end, now=now):
        key = row["keys"][group_by]
        for bucket in (groups[key], overall):
            bucket["tickets"].append(1)
            bucket["first_met"].append(row["first_met"])
            bucket["first_breached"].append(row["first_breached"])
            bucket["resolution_met"].append(row["resolution_met"])
            bucket["resolution_breached"].append(row["resolution_breached"])
            if row["first_minutes"] is not None:
                bucket["first_minutes"].append(row["first_minutes"])
            if row["resolution_minutes"] is not None:
                bucket["resolution_minutes"].append(row["resolution_minutes"])

    def figures(bucket) -> dict:
        first_met, first_breached = sum(bucket["first_met"]), sum(bucket["first_breached"])
        res_met, res_breached = sum(bucket["resolution_met"]), sum(bucket["resolution_breached"])
        return {
            "tickets": len(bucket["tickets"]),
            "first_response_met": first_met,
            "first_response_breached": first_breached,
            "first_response_compliance": _rate(first_met, first_breached),
            "resolution_met": res_met,
            "resolution_breached": res_breached,
            "resolution_compliance": _rate(res_met, res_breached),
            "avg_first_response_minutes": _mean(bucket["first_minutes"]),
            "avg_resolution_minutes": _mean(bucket["resolution_minutes"]),
        }

    rows = [
        {"key": key[0], "label": str(key[1]), **figures(bucket)} for key, bucket in groups.items()
    ]
    rows.sort(key=lambda row: (-row["tickets"], row["label"]))
    return {"group_by": group_by, "groups": rows, "overall": figures(overall)}


def sla_breaches(*, user, start: datetime, end: datetime, now=None, limit: int = 500) -> list[dict]:
    check_permission(user, "core.view_reports")
    now = now or timezone.now()
    breaches = []
    for row in _rows(start=start, end=end, now=now):
        sla, ticket = row["sla"], row["ticket"]
        for metric, breached, due, at in (
            (
                "first_response",
                row["first_breached"],
                sla.first_response_due,
                sla.first_response_at,
            ),
            ("resolution", row["resolution_breached"], sla.resolution_due, sla.resolved_at),
        ):
            if breached:
                breaches.append(
                    {
                        "ticket_id": ticket.pk,
                        "number": ticket.number,
                        "subject": ticket.subject,
                        "policy": sla.policy.name,
                        "metric": metric,
                        "due": due,
                        "at": at,
                        "assignee": row["keys"]["agent"][1],
                        "team": row["keys"]["team"][1],
                    }
                )
        if len(breaches) >= limit:
            break
    return breaches[:limit]
