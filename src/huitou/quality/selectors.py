"""Reads of QA inspection, by permission: inspectors see the inspections (their queue first),
agents only their own submitted results, everyone else nothing."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Case, Count, FloatField, Max, Min, QuerySet, StdDev, Value, When
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils.translation import gettext as _

from huitou.accounts.models import person_name
from huitou.core.permissions import check_permission

from .models import (
    Appeal,
    CalibrationSession,
    Inspection,
    InspectionItem,
    MysteryTask,
    SamplingPlan,
    Scorecard,
)
from .services import COUNTED, DECIDE, INSPECT, MANAGE

RELATED = ("ticket__customer", "scorecard", "inspector", "agent", "department", "appeal")


def visible_inspections(*, user) -> QuerySet[Inspection]:
    """Everything for an inspector; an agent's own submitted results (not calibration)."""
    inspections = Inspection.objects.select_related(*RELATED)
    if user.has_perm(INSPECT):
        return inspections
    check_permission(user, "quality.view_own_quality")
    return inspections.filter(agent=user, calibration__isnull=True, state__in=COUNTED)


def access_inspection(*, user, inspection_id: int) -> Inspection:
    try:
        return visible_inspections(user=user).get(pk=inspection_id)
    except Inspection.DoesNotExist:
        raise Http404(_("质检记录不存在。")) from None


def inspection_queue(*, user) -> QuerySet[Inspection]:
    """The inspector's work queue: what is drawn for them and not yet submitted."""
    check_permission(user, INSPECT)
    return (
        Inspection.objects.select_related("ticket__customer", "scorecard", "agent", "plan")
        .filter(inspector=user, state=Inspection.State.QUEUED)
        .order_by("created_at", "id")
    )


def my_results(*, user) -> QuerySet[Inspection]:
    check_permission(user, "quality.view_own_quality")
    return (
        Inspection.objects.select_related("ticket", "scorecard", "inspector", "appeal")
        .filter(agent=user, calibration__isnull=True, state__in=COUNTED)
        .order_by("-submitted_at", "-id")
    )


def inspection_items(inspection: Inspection) -> list[InspectionItem]:
    return list(inspection.items.select_related("item"))


def scorecards(*, user) -> QuerySet[Scorecard]:
    if not (user.has_perm(INSPECT) or user.has_perm(MANAGE)):
        raise PermissionDenied(_("您没有执行此操作的权限。"))
    return Scorecard.objects.prefetch_related("items").order_by("id")


def access_scorecard(*, user, scorecard_id: int) -> Scorecard:
    try:
        return scorecards(user=user).get(pk=scorecard_id)
    except Scorecard.DoesNotExist:
        raise Http404(_("评分表不存在。")) from None


def sampling_plans(*, user) -> QuerySet[SamplingPlan]:
    check_permission(user, INSPECT)
    return SamplingPlan.objects.prefetch_related("inspectors").order_by("id")


def open_appeals(*, user) -> QuerySet[Appeal]:
    check_permission(user, DECIDE)
    return (
        Appeal.objects.select_related("inspection__ticket", "inspection__inspector", "agent")
        .filter(state=Appeal.State.OPEN)
        .order_by("created_at", "id")
    )


def access_appeal(*, user, appeal_id: int) -> Appeal:
    check_permission(user, DECIDE)
    try:
        return Appeal.objects.select_related("inspection").get(pk=appeal_id)
    except Appeal.DoesNotExist:
        raise Http404(_("申诉不存在。")) from None


def calibrations(*, user) -> QuerySet[CalibrationSession]:
    check_permission(user, INSPECT)
    return CalibrationSession.objects.select_related("ticket", "scorecard")


def access_calibration(*, user, session_id: int) -> CalibrationSession:
    try:
        return calibrations(user=user).get(pk=session_id)
    except CalibrationSession.DoesNotExist:
        raise Http404(_("校准会不存在。")) from None


def calibration_spread(session: CalibrationSession) -> dict:
    """Each inspector's score and, per item and for the total, the spread of the submitted
    scores: max − min and the (population) standard deviation, in SQL."""
    submitted = session.inspections.filter(state__in=COUNTED)
    scores = [
        {
            "inspector": row.inspector.display_name,
            "inspector_id": row.inspector_id,
            "score": row.score,
            "submitted": row.state in COUNTED,
        }
        for row in session.inspections.select_related("inspector").order_by("inspector_id")
    ]
    total = submitted.aggregate(
        count=Count("id"),
        high=Max("score"),
        low=Min("score"),
        std=StdDev("score", sample=False),
        mean=Avg("score"),
    )
    rows = (
        InspectionItem.objects.filter(inspection__in=submitted, points__isnull=False)
        .values("item", "item__key", "item__label", "item__weight", "item__position")
        .annotate(
            count=Count("id"),
            high=Max("points"),
            low=Min("points"),
            std=StdDev("points", sample=False),
            mean=Avg("points"),
        )
        .order_by("item__position", "item")
    )
    per_inspector = {
        (row["inspection__inspector"], row["item"]): row["points"]
        for row in InspectionItem.objects.filter(inspection__in=submitted).values(
            "inspection__inspector", "item", "points"
        )
    }

    def spread(row) -> dict:
        high, low = row["high"], row["low"]
        return {
            "count": row["count"],
            "max": high,
            "min": low,
            "range": round(float(high - low), 1) if high is not None else None,
            "stddev": round(float(row["std"]), 2) if row["std"] is not None else None,
            "mean": round(float(row["mean"]), 1) if row["mean"] is not None else None,
        }

    items = [
        {
            "key": row["item__key"],
            "label": row["item__label"],
            "weight": row["item__weight"],
            "points": [per_inspector.get((s["inspector_id"], row["item"])) for s in scores],
            **spread(row),
        }
        for row in rows
    ]
    return {"scores": scores, "items": items, "total": spread(total)}


def mystery_tasks(*, user) -> QuerySet[MysteryTask]:
    check_permission(user, INSPECT)
    tasks = MysteryTask.objects.select_related("inspector", "ticket", "scorecard")
    return tasks if user.has_perm(MANAGE) else tasks.filter(inspector=user)


def access_mystery(*, user, task_id: int) -> MysteryTask:
    try:
        return mystery_tasks(user=user).get(pk=task_id)
    except MysteryTask.DoesNotExist:
        raise Http404(_("神秘客任务不存在。")) from None


# --- figures -----------------------------------------------------------------------------------

FAILED = Case(
    When(critical_failed=True, then=Value(1.0)), default=Value(0.0), output_field=FloatField()
)


def _counted(start: datetime | None, end: datetime | None) -> QuerySet[Inspection]:
    rows = Inspection.objects.filter(state__in=COUNTED, calibration__isnull=True)
    if start:
        rows = rows.filter(submitted_at__gte=start)
    if end:
        rows = rows.filter(submitted_at__lt=end)
    return rows


def _figure(row: dict) -> dict:
    return {
        "count": row["count"],
        "average": round(float(row["average"]), 1) if row["average"] is not None else None,
        "critical_fail_rate": round(float(row["failed"]), 3) if row["failed"] is not None else None,
    }


def quality_figures(*, user, start=None, end=None) -> dict:
    """Average QA score and critical-fail rate overall, per agent, department and week."""
    check_permission(user, "quality.view_quality_figures")
    rows = _counted(start, end)
    measures = {"count": Count("id"), "average": Avg("score"), "failed": Avg(FAILED)}
    by_agent = (
        rows.values("agent", "agent__last_name", "agent__first_name", "agent__username")
        .annotate(**measures)
        .order_by("-average", "agent")
    )
    by_department = (
        rows.values("department", "department__name").annotate(**measures).order_by("department")
    )
    by_week = (
        rows.annotate(w=TruncWeek("submitted_at")).values("w").annotate(**measures).order_by("w")
    )
    return {
        "overall": _figure(rows.aggregate(**measures)),
        "by_agent": [
            {
                "agent": row["agent"],
                "name": person_name(
                    row["agent__last_name"], row["agent__first_name"], row["agent__username"]
                )
                or "—",
                **_figure(row),
            }
            for row in by_agent
        ],
        "by_department": [
            {
                "department": row["department"],
                "name": row["department__name"] or "—",
                **_figure(row),
            }
            for row in by_department
        ],
        "by_week": [
            {"week": row["w"].date().isoformat() if row["w"] else None, **_figure(row)}
            for row in by_week
        ],
    }
