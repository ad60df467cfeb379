"""The objective measures of a quality-evaluation round [000], beside what customers answered:
timeliness from the SLA clock (first response and resolution met), the complaint flow's
response figures (投诉反应), the contact ratings, and whatever an app above registers (QA
inspection scores, mystery-shopper tasks: `register_measure_source`).

Every figure is one SQL aggregate over the period [start, end). A measure is a dict
{key, indicator, input, label, value, unit, n}: `unit` is "share" (0–1), "hours", "points"
or "score" (1–5); `n` the count it rests on; `value` None when there is nothing to count."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils.translation import gettext as _

from huitou.complaints.models import CallbackTask, Complaint, DispatchScore
from huitou.sla.models import TicketSla

from .models import TOP_TWO, EvaluationRound, Indicator, Invitation, Response

Input = EvaluationRound.Input


@dataclass(frozen=True)
class MeasureSource:
    """Measures an app above surveys adds (it registers from its AppConfig.ready()).
    `compute(start=, end=)` returns measure dicts; `input` is the plan's input that asks
    for them (a round that did not plan that input leaves them out)."""

    name: str
    input: str
    compute: Callable[..., list[dict]]


_SOURCES: dict[str, MeasureSource] = {}


def register_measure_source(*, name: str, input: str, compute: Callable[..., list[dict]]) -> None:
    if input not in Input.values:
        raise ValueError(f"unknown evaluation input {input!r}")
    _SOURCES[name] = MeasureSource(name=name, input=input, compute=compute)


def unregister_measure_source(name: str) -> None:
    _SOURCES.pop(name, None)


def registered_inputs() -> set[str]:
    return {source.input for source in _SOURCES.values()}


def measure(key, indicator, input, label, value, unit, n) -> dict:
    if isinstance(value, float):
        value = round(value, 1 if unit == "points" else 4)
    return {
        "key": key,
        "indicator": indicator,
        "input": input,
        "label": str(label),
        "value": value,
        "unit": unit,
        "n": n,
    }


def _share(part: int | None, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(duration) -> float | None:
    return round(duration.total_seconds() / 3600, 1) if duration is not None else None


def sla_measures(*, start: datetime, end: datetime, now: datetime) -> list[dict]:
    """Of the tickets whose clock started in the period: the share of first responses and of
    resolutions that met their due time, among those met or already breached (a ticket
    still within its time counts neither way; a paused clock is judged at its pause), as
    `sla.reports` counts them."""
    row = TicketSla.objects.filter(started_at__gte=start, started_at__lt=end).aggregate(
        tickets=Count("pk"),
        first_met=Count(
            "pk",
            filter=Q(
                first_response_at__isnull=False, first_response_at__lte=F("first_response_due")
            ),
        ),
        first_breached=Count(
            "pk",
            filter=Q(first_response_at__gt=F("first_response_due"))
            | Q(first_response_at__isnull=True, first_response_due__lt=now),
        ),
        resolution_met=Count(
            "pk", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due"))
        ),
        resolution_breached=Count(
            "pk",
            filter=Q(resolved_at__gt=F("resolution_due"))
            | Q(resolved_at__isnull=True, paused_at__isnull=True, resolution_due__lt=now)
            | Q(resolved_at__isnull=True, paused_at__gt=F("resolution_due")),
        ),
    )
    first_n = row["first_met"] + row["first_breached"]
    resolution_n = row["resolution_met"] + row["resolution_breached"]
    return [
        measure("sla_first_response", Indicator.TIMELINESS, "", _("首次响应达标率（SLA）"),
                _share(row["first_met"], first_n), "share", first_n),
        measure("sla_resolution", Indicator.TIMELINESS, "", _("解决时限达标率（SLA）"),
                _share(row["resolution_met"], resolution_n), "share", resolution_n),
    ]  # fmt: skip


def complaint_measures(*, start: datetime, end: datetime) -> list[dict]:
    """The complaints received in the period: replied share and hours to the reply, dispatches
    done in time, first-contact resolution, reopened; call-backs done in the period
    (satisfied share, mean score); QA scores of dispatches (派单质检) in the period."""
    complaints = Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
    row = complaints.aggregate(
        received=Count("pk"),
        replied=Count("pk", filter=Q(replied_at__isnull=False)),
        reply_time=Avg(
            ExpressionWrapper(F("replied_at") - F("received_at"), output_field=DurationField()),
            filter=Q(replied_at__isnull=False),
        ),
        dispatched=Count("pk", filter=Q(first_dispatched_at__isnull=False)),
        dispatch_late=Count(
            "pk", filter=Q(first_dispatched_at__isnull=False, dispatch_overdue=True)
        ),
        first_contact=Count("pk", filter=Q(first_contact_resolution=True)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
    )  # fmt: skip
    callbacks = CallbackTask.objects.filter(
        status=CallbackTask.Status.DONE, done_at__gte=start, done_at__lt=end
    ).aggregate(
        reached=Count("pk", filter=~Q(outcome="")),
        satisfied=Count("pk", filter=Q(outcome=CallbackTask.Outcome.SATISFIED)),
        score=Avg("satisfaction"),
        scored=Count("satisfaction"),
    )
    scores = DispatchScore.objects.filter(scored_at__gte=start, scored_at__lt=end).aggregate(
        mean=Avg("total"), n=Count("pk")
    )
    received, dispatched, reached = row["received"], row["dispatched"], callbacks["reached"]
    on_time = dispatched - row["dispatch_late"]
    score = round(float(callbacks["score"]), 2) if callbacks["score"] is not None else None
    mean = round(float(scores["mean"]), 1) if scores["mean"] is not None else None
    c = Input.COMPLAINTS
    return [
        measure("complaint_replied", Indicator.TIMELINESS, c, _("投诉已答复率"),
                _share(row["replied"], received), "share", received),
        measure("complaint_reply_hours", Indicator.TIMELINESS, c, _("投诉平均答复时长（小时）"),
                _hours(row["reply_time"]), "hours", row["replied"]),
        measure("complaint_dispatch_on_time", Indicator.TIMELINESS, c, _("派单按时处理率"),
                _share(on_time, dispatched), "share", dispatched),
        measure("complaint_first_contact", Indicator.PROCESS, c, _("投诉首次接触解决率"),
                _share(row["first_contact"], received), "share", received),
        measure("complaint_reopened", Indicator.PROCESS, c, _("投诉重开率（越低越好）"),
                _share(row["reopened"], received), "share", received),
        measure("callback_satisfied", Indicator.ATTITUDE, c, _("投诉回访满意率"),
                _share(callbacks["satisfied"], reached), "share", reached),
        measure("callback_score", Indicator.ATTITUDE, c, _("投诉回访满意度均分（1–5）"),
                score, "score", callbacks["scored"]),
        measure("dispatch_qa_score", Indicator.SKILL, c, _("派单质检平均分（百分制）"),
                mean, "points", scores["n"]),
    ]  # fmt: skip


def rating_measures(*, start: datetime, end: datetime) -> list[dict]:
    """The rating after each contact answered in the period: CSAT (share of 4–5) and mean."""
    row = Response.objects.filter(
        invitation__kind=Invitation.Kind.CONTACT,
        answered_at__gte=start,
        answered_at__lt=end,
        rating__isnull=False,
    ).aggregate(n=Count("pk"), top=Count("pk", filter=Q(rating__in=TOP_TWO)), mean=Avg("rating"))
    mean = round(float(row["mean"]), 2) if row["mean"] is not None else None
    s = Input.SATISFACTION
    return [
        measure("contact_csat", "", s, _("服务后评价满意率（好及以上）"),
                _share(row["top"], row["n"]), "share", row["n"]),
        measure("contact_mean", "", s, _("服务后评价均分（1–5）"), mean, "score", row["n"]),
    ]  # fmt: skip


def objective_measures(*, inputs: list[str], start: datetime, end: datetime, now: datetime):
    """The SLA's timeliness always; the other groups when the plan names their input."""
    rows = sla_measures(start=start, end=end, now=now)
    if Input.COMPLAINTS in inputs:
        rows += complaint_measures(start=start, end=end)
    if Input.SATISFACTION in inputs:
        rows += rating_measures(start=start, end=end)
    for source in _SOURCES.values():
        if source.input in inputs:
            for row in source.compute(start=start, end=end):
                rows.append(
                    measure(
                        row["key"], row.get("indicator", ""), source.input, row["label"],
                        row.get("value"), row.get("unit", "points"), row.get("n", 0),
                    )
                )  # fmt: skip
    return rows
