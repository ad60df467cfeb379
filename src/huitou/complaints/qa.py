"""QA of the complaint process: dispatch-quality scores and forbidden-phrase counts [000, 003]."""

from datetime import datetime

from django.db import transaction
from django.db.models import Avg, Count, QuerySet
from django.utils.translation import gettext as _

from huitou.accounts.models import person_name
from huitou.core.audit import do_audit_changes
from huitou.core.errors import ConflictError, DomainError, check_text
from huitou.core.permissions import check_permission
from huitou.tickets.models import ForbiddenPhraseUse

from .models import DISPATCH_RUBRIC, Complaint, DispatchScore, State


@transaction.atomic
def do_dispatch_score(
    *, actor, complaint: Complaint, scores: dict[str, int], comment: str = ""
) -> DispatchScore:
    """Score a dispatched complaint on the 100-point rubric; scoring again replaces the score."""
    check_permission(actor, "complaints.score_dispatch")
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.first_dispatched_at is None:
        raise ConflictError(_("该投诉未派单，无需评分派单质量。"), field="complaint")
    if complaint.state in (State.DISPATCHED, State.ACCEPTED):
        # Whether the due time was met is known only once the department has answered.
        raise ConflictError(_("责任部门尚未反馈处理结果，请稍后评分。"), field="complaint")
    missing = [name for name in DISPATCH_RUBRIC if name not in scores]
    if missing:
        raise DomainError(_("请为每一项评分。"), field=missing[0])
    unknown = set(scores) - set(DISPATCH_RUBRIC)
    if unknown:
        raise DomainError(_("没有这个评分项。"), field=sorted(unknown)[0])
    for name, maximum in DISPATCH_RUBRIC.items():
        value = scores[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
            raise DomainError(
                _("该项得分必须在 0 到 %(max)d 之间。") % {"max": maximum}, field=name
            )
    comment = check_text((comment or "").strip(), field="comment", max_length=2000)
    score = DispatchScore.objects.filter(complaint=complaint).first()
    old = {name: getattr(score, name) for name in DISPATCH_RUBRIC} if score else {}
    score = score or DispatchScore(complaint=complaint)
    score.inspector = actor
    score.agent = complaint.dispatched_by
    score.department = complaint.department
    for name in DISPATCH_RUBRIC:
        setattr(score, name, scores[name])
    score.total = sum(scores[name] for name in DISPATCH_RUBRIC)
    score.comment = comment
    score.save()
    do_audit_changes(
        obj=complaint,
        actor=actor,
        changes=[("dispatch_score", sum(old.values()) if old else "", score.total)],
    )
    return score


def dispatch_scores(*, start: datetime | None = None, end: datetime | None = None) -> QuerySet:
    scores = DispatchScore.objects.all()
    if start:
        scores = scores.filter(scored_at__gte=start)
    if end:
        scores = scores.filter(scored_at__lt=end)
    return scores


def score_rollup_by_agent(*, user, start=None, end=None) -> list[dict]:
    check_permission(user, "complaints.view_complaint")
    rows = (
        dispatch_scores(start=start, end=end)
        .values("agent", "agent__last_name", "agent__first_name", "agent__username")
        .annotate(count=Count("id"), average=Avg("total"))
        .order_by("-average", "agent")
    )
    return [
        {
            "agent": row["agent"],
            "name": person_name(
                row["agent__last_name"], row["agent__first_name"], row["agent__username"]
            )
            or "—",
            "count": row["count"],
            "average": round(float(row["average"]), 1),
        }
        for row in rows
    ]


def score_rollup_by_department(*, user, start=None, end=None) -> list[dict]:
    check_permission(user, "complaints.view_complaint")
    rows = (
        dispatch_scores(start=start, end=end)
        .values("department", "department__name")
        .annotate(count=Count("id"), average=Avg("total"))
        .order_by("-average", "department")
    )
    return [
        {
            "department": row["department"],
            "name": row["department__name"] or "—",
            "count": row["count"],
            "average": round(float(row["average"]), 1),
        }
        for row in rows
    ]


def forbidden_phrase_counts(*, user, start=None, end=None) -> list[dict]:
    """How often each agent sent a reply with a forbidden phrase after the warning."""
    check_permission(user, "complaints.view_complaint")
    uses = ForbiddenPhraseUse.objects.all()
    if start:
        uses = uses.filter(created_at__gte=start)
    if end:
        uses = uses.filter(created_at__lt=end)
    rows = (
        uses.values("author", "author__last_name", "author__first_name", "author__username")
        .annotate(count=Count("id"), replies=Count("message", distinct=True))
        .order_by("-count", "author")
    )
    return [
        {
            "agent": row["author"],
            "name": person_name(
                row["author__last_name"], row["author__first_name"], row["author__username"]
            )
            or "—",
            "count": row["count"],
            "replies": row["replies"],
        }
        for row in rows
    ]
