"""Crisis early warning (危机预警) [003]: clusters of same-cause complaints, negative publicity."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
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
        window = timedelta(hours=policy.crisis_window_hours)
        cluster = Complaint.objects.filter(
            cause=complaint.cause,
            product__iexact=complaint.product,
            received_at__gt=complaint.received_at - window,
            received_at__lte=complaint.received_at,
        )
        # An alert whose newest complaint is within the window is the same wave: extend it.
        alert = (
            CrisisAlert.objects.filter(
                kind=CrisisAlert.Kind.CLUSTER,
                cause=complaint.cause,
                product__iexact=complaint.product,
            )
            .annotate(last=Max("complaints__received_at"))
            .filter(last__gt=complaint.received_at - window)
            .order_by("-created_at")
            .first()
        )
        if alert is not None:
            if not alert.complaints.filter(pk=complaint.pk).exists():
                alert.complaints.add(complaint)
                alert.complaint_count = alert.complaints.count()
                alert.save(update_fields=["complaint_count", "updated_at"])
        elif cluster.count() >= policy.crisis_threshold:
            members = list(cluster)
            alert = CrisisAlert.objects.create(
                kind=CrisisAlert.Kind.CLUSTER,
                cause=complaint.cause,
                product=complaint.product,
                complaint_count=len(members),
                window_start=min(member.received_at for member in members),
            )
            alert.complaints.add(*members)
            _notify_alert(alert)
            raised.append(alert)
    return raised


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
