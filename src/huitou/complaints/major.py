"""Major complaints (重大投诉) [003]: which rules make a complaint major, and who hears of it."""

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.core.notifications import do_notify

from .models import (
    Behaviour,
    Complaint,
    ComplaintPolicy,
    ComplaintStep,
    MajorReason,
    Severity,
    Step,
)

# The "三换" rule for cooling a conflict, and the "三忌" [003].
THREE_CHANGES = [
    gettext_lazy("换人：由更有经验或职位更高的人员接手处理。"),
    gettext_lazy("换地：把客户从公开场合请到接待室等安静的地方沟通。"),
    gettext_lazy("换时：约定另一个时间再谈，让双方冷静下来。"),
]
THREE_DONTS = gettext_lazy("三忌：忌推卸责任，忌敷衍了事，忌拖延处理。")


def major_reasons_for(complaint: Complaint, policy: ComplaintPolicy) -> list[str]:
    """Every rule that makes `complaint` major right now (codes of MajorReason)."""
    reasons = []
    if complaint.ticket.customer.tier == "A":
        reasons.append(MajorReason.TIER_A)
    if (
        complaint.compensation_demand is not None
        and complaint.compensation_demand > policy.major_compensation_threshold
    ):
        reasons.append(MajorReason.COMPENSATION)
    if complaint.behaviour in (Behaviour.ANGER, Behaviour.EXTREME):
        reasons.append(MajorReason.BEHAVIOUR)
    if complaint.severity == Severity.MAJOR:
        reasons.append(MajorReason.SEVERITY)
    if complaint.reopen_count > 0:
        reasons.append(MajorReason.REOPENED)
    if complaint.dispatch_overdue:
        reasons.append(MajorReason.OVERDUE)
    window_start = complaint.received_at - timedelta(days=policy.repeat_window_days)
    if (
        Complaint.objects.filter(
            ticket__customer_id=complaint.ticket.customer_id,
            received_at__gte=window_start,
            received_at__lte=complaint.received_at,
        )
        .exclude(pk=complaint.pk)
        .exists()
    ):
        reasons.append(MajorReason.REPEATED)
    return [str(reason) for reason in reasons]


def management_recipients():
    return User.objects.filter(
        is_active=True, groups__name__in=[Role.SUPERVISOR, Role.MANAGER]
    ).distinct()


def do_major_evaluate(*, complaint: Complaint, actor, now) -> bool:
    """Flag `complaint` major when a rule fires; notify supervisors and management once.

    The flag is sticky: the notification has gone out, and the complaint stays on the
    major list even if the classification is later toned down. Call with the row locked.
    Returns True when the complaint became major just now."""
    policy = ComplaintPolicy.load()
    reasons = major_reasons_for(complaint, policy)
    new = [reason for reason in reasons if reason not in complaint.major_reasons]
    if not new:
        return False
    complaint.major_reasons = [*complaint.major_reasons, *new]
    became_major = not complaint.is_major
    if became_major:
        complaint.is_major = True
        complaint.major_at = now
    complaint.save(update_fields=["major_reasons", "is_major", "major_at"])
    if not became_major:
        return False
    labels = "、".join(str(MajorReason(code).label) for code in complaint.major_reasons)
    ComplaintStep.objects.create(
        complaint=complaint,
        step=Step.MAJOR,
        actor=actor,
        at=now,
        state=complaint.state,
        note=labels,
    )
    ticket = complaint.ticket
    guidance = "\n".join(str(line) for line in THREE_CHANGES)
    do_notify(
        recipients=management_recipients(),
        kind="major_complaint",
        title=_("重大投诉：%(number)s %(subject)s")
        % {"number": ticket.number, "subject": ticket.subject},
        body="\n".join(
            [
                _("客户：%(customer)s") % {"customer": ticket.customer.name},
                _("原因：%(reasons)s") % {"reasons": labels},
                "",
                _("“三换”处理建议："),
                guidance,
                str(THREE_DONTS),
            ]
        ),
        url=reverse("tickets:detail", args=[ticket.pk]),
    )
    return True
