"""Reads for complaints, permission-aware: a complaint is visible when its ticket is."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.scope import scope_to_department
from huitou.core.errors import check_text
from huitou.core.permissions import check_permission
from huitou.tickets.selectors import visible_tickets

from .models import CallbackTask, Complaint, ComplaintStep, CrisisAlert, State


def visible_complaints(*, user) -> QuerySet[Complaint]:
    check_permission(user, "complaints.view_complaint")
    visible_tickets(user=user)  # the same permission rule as tickets
    # The ticket's department, which dispatch keeps equal to the complaint's.
    return scope_to_department(Complaint.objects.all(), user, field="ticket__department")


def complaint_list(
    *, user, state: str = "", major: bool | None = None, overdue: bool | None = None, q: str = ""
) -> QuerySet[Complaint]:
    complaints = visible_complaints(user=user)
    if state == "active":
        complaints = complaints.exclude(state=State.CLOSED)
    elif state:
        complaints = complaints.filter(state=state)
    if major is not None:
        complaints = complaints.filter(is_major=major)
    if overdue:
        complaints = complaints.filter(
            Q(dispatch_overdue=True)
            | Q(state__in=[State.DISPATCHED, State.ACCEPTED], dispatch_due_at__lt=timezone.now())
        )
    q = check_text((q or "").strip(), field="q", max_length=200)
    if q:
        complaints = complaints.filter(
            Q(ticket__number__icontains=q)
            | Q(ticket__subject__icontains=q)
            | Q(ticket__customer__name__icontains=q)
            | Q(product__icontains=q)
        )
    return complaints.select_related(
        "ticket", "ticket__customer", "department", "handler", "dispatched_by"
    ).order_by("-received_at", "-pk")


def access_complaint(*, user, ticket_id: int) -> Complaint:
    """The complaint of ticket `ticket_id` if `user` may see it; 404 otherwise."""
    complaint = (
        visible_complaints(user=user)
        .select_related("ticket", "ticket__customer", "department", "handler", "dispatched_by")
        .prefetch_related(
            Prefetch("steps", queryset=ComplaintStep.objects.select_related("actor", "department")),
            "recoveries",
            "callbacks",
        )
        .filter(pk=ticket_id)
        .first()
    )
    if complaint is None:
        raise Http404(_("投诉不存在。"))
    return complaint


def callback_tasks(*, user, due_only: bool = False) -> QuerySet[CallbackTask]:
    tasks = CallbackTask.objects.filter(
        complaint__in=visible_complaints(user=user), status=CallbackTask.Status.OPEN
    )
    if due_only:
        tasks = tasks.filter(due_at__lte=timezone.now())
    return tasks.select_related("complaint__ticket", "complaint__ticket__customer").order_by(
        "due_at", "pk"
    )


def crisis_alerts(*, user, open_only: bool = False) -> QuerySet[CrisisAlert]:
    check_permission(user, "complaints.view_complaint_analysis")
    alerts = CrisisAlert.objects.all()
    if open_only:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    return alerts.select_related("acknowledged_by").prefetch_related("complaints__ticket")


def access_crisis_alert(*, user, alert_id: int) -> CrisisAlert:
    alert = crisis_alerts(user=user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404(_("预警不存在。"))
    return alert


def open_crisis_alert_count(*, user) -> int:
    if not user.has_perm("complaints.view_complaint_analysis"):
        return 0
    return CrisisAlert.objects.filter(acknowledged_at__isnull=True).count()
