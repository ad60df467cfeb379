"""QA inspection figures in the quality-evaluation report (surveys.evaluation_measures):
phone tracking is the inspectors' scores of real conversations, the mystery shopper's the
scores of the scripted test contacts [000]."""

from datetime import datetime

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_lazy as _

from huitou.surveys.evaluation_measures import measure, register_measure_source

from .models import Inspection

SCORED = (Inspection.State.SUBMITTED, Inspection.State.APPEALED, Inspection.State.FINAL)


def _scores(*, start: datetime, end: datetime, mystery: bool) -> dict:
    return Inspection.objects.filter(
        state__in=SCORED,
        submitted_at__gte=start,
        submitted_at__lt=end,
        mystery__isnull=not mystery,
    ).aggregate(
        average=Avg("score"), n=Count("id"), fatal=Count("id", filter=Q(critical_failed=True))
    )


def inspection_measures(*, start: datetime, end: datetime) -> list[dict]:
    row = _scores(start=start, end=end, mystery=False)
    average = float(row["average"]) if row["average"] is not None else None
    fatal = round(row["fatal"] / row["n"], 4) if row["n"] else None
    n, source = row["n"], "phone_tracking"
    return [
        measure("qa_score", "skill", source, _("质检平均分（百分制）"), average, "points", n),
        measure("qa_fatal", "attitude", source, _("致命项不达标比例"), fatal, "share", n),
    ]


def mystery_measures(*, start: datetime, end: datetime) -> list[dict]:
    row = _scores(start=start, end=end, mystery=True)
    average = float(row["average"]) if row["average"] is not None else None
    return [
        measure("mystery_score", "skill", "mystery_shopper", _("神秘客测评平均分（百分制）"),
                average, "points", row["n"]),
    ]  # fmt: skip


def register() -> None:
    register_measure_source(
        name="quality.inspections", input="phone_tracking", compute=inspection_measures
    )
    register_measure_source(
        name="quality.mystery", input="mystery_shopper", compute=mystery_measures
    )
