"""Crisis early warning (危机预警) [003]: clusters of same-cause complaints, negative publicity."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError, check_text
from huitou.core.notifications import do_notify
from huitou.core.permissions import check_permission

from .major import management_recipients
from .models import Behaviour, Cause, Complaint, ComplaintPolicy, CrisisAlert


def _notify_alert(alert: CrisisAlert) -> None:
    if alert.kind == CrisisAlert.Kind.PUBLICITY:
        title = _("危机预警：负面宣传投诉")
    else:
        title = _("危机预警：%(count)d 起同类投诉（%(cause)s · %(product)s）") % {
            "count": alert.complaint_count,
            "cause": Cause(alert.cause).label,
            "product": alert.product,
        }
    numbers = "、".join(alert.complaints.values_list("ticket__number", flat=True)[:20])
    do_notify(
        recipients=management_recipients(),
        kind="crisis_alert",
        title=title,
        body=_("涉及工单：%(numbers)s。请尽快确认并部署应对。") % {"numbers": numbers},
        url=reverse("complaints:alerts"),
    )


@transaction.atomic
def do_crisis_evaluate(*, complaint_id: int) -> list[CrisisAlert]:
    """Raise (or extend) the alerts `complaint` belongs to. Idempotent: running it twice for
    the same complaint changes nothing the second time."""
    # Lock the policy row: evaluations run one at a time, so two workers never raise two
    # alerts for the same cluster.
    ComplaintPolicy.load()
    policy = ComplaintPolicy.objects.select_for_update().get(pk=1)
    complaint = Complaint.objects.select_related("ticket").filter(pk=complaint_id).first()
    if complaint is None:
        return []
    raised = []
    publicity = policy.publicity_alert and complaint.behaviour == Behaviour.PUBLICITY
    if (
        publicity
        and not CrisisAlert.objects.filter(
            kind=CrisisAlert.Kind.PUBLICITY, complaints=complaint
        ).exists()
    ):
        alert = CrisisAlert.objects.create(
            kind=CrisisAlert.Kind.PUBLICITY,
            cause=complaint.cause,
            product=complaint.product,
            complaint_count=1,
            window_start=complaint.received_at,
        )
        alert.complaints.add(complaint)
        _notify_alert(alert)
        raised.append(alert)
    if complaint.cause and complaint.product:
        alert = _cluster_alert(complaint, policy)
        if alert is not None:
            raised.append(alert)
    return raised


def _cluster_alert(complaint: Complaint, policy: ComplaintPolicy) -> CrisisAlert | None:
    """Join the open alert of `complaint`'s wave, or raise one when some window of
    `crisis_window_hours` holding this complaint has `crisis_threshold` of its kind.

    Complaints may be classified in any order, so windows are looked for on both sides.
    Complaints already in an acknowledged alert were dealt with: they do not count again,
    so a wave that keeps growing after the acknowledgement raises a new alert."""
    window = timedelta(hours=policy.crisis_window_hours)
    at = complaint.received_at
    same = CrisisAlert.objects.filter(
        kind=CrisisAlert.Kind.CLUSTER, cause=complaint.cause, product__iexact=complaint.product
    )
    open_alert = (
        same.filter(acknowledged_at__isnull=True)
        .annotate(first=Min("complaints__received_at"), last=Max("complaints__received_at"))
        .filter(last__gt=at - window, first__lt=at + window)
        .order_by("-created_at")
        .first()
    )
    if open_alert is not None:
        if not open_alert.complaints.filter(pk=complaint.pk).exists():
            open_alert.complaints.add(complaint)
            open_alert.complaint_count = open_alert.complaints.count()
            open_alert.save(update_fields=["complaint_count", "updated_at"])
        return None
    if same.filter(acknowledged_at__isnull=False, complaints=complaint).exists():
        return None
    candidates = list(
        Complaint.objects.filter(
            cause=complaint.cause,
            product__iexact=complaint.product,
            received_at__gt=at - window,
            received_at__lt=at + window,
        )
        .exclude(alerts__in=same.filter(acknowledged_at__isnull=False))
        .order_by("received_at", "pk")
    )
    best: list[Complaint] = []
    for index, first in enumerate(candidates):
        if first.received_at > at:
            break
        members = [c for c in candidates[index:] if c.received_at < first.received_at + window]
        if complaint in members and len(members) > len(best):
            best = members
    if len(best) < policy.crisis_threshold:
        return None
    alert = CrisisAlert.objects.create(
        kind=CrisisAlert.Kind.CLUSTER,
        cause=complaint.cause,
        product=complaint.product,
        complaint_count=len(best),
        window_start=best[0].received_at,
    )
    alert.complaints.add(*best)
    _notify_alert(alert)
    return alert


@transaction.atomic
def do_crisis_alert_acknowledge(*, actor, alert: CrisisAlert, note: str = "") -> CrisisAlert:
    check_permission(actor, "complaints.acknowledge_crisis")
    alert = CrisisAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise ConflictError(_("该预警已确认。"), field="alert")
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.acknowledge_note = check_text((note or "").strip(), field="note", max_length=500)
    alert.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledge_note"])
    do_audit_record(obj=alert, actor=actor, action="acknowledged", new=alert.acknowledge_note)
    return alert
