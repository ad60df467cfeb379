"""Dispatches past their due time: flagged once, which also makes the complaint major."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.core.notifications import do_notify

from .major import do_major_evaluate
from .models import Complaint, ComplaintStep, State, Step

OPEN_DISPATCH = (State.DISPATCHED, State.ACCEPTED)


def do_dispatch_overdue_sweep(*, now=None, batch: int = 500) -> int:
    """Flag every open dispatch past its due time. Each complaint is flagged in its own
    transaction with its row locked and re-checked, so concurrent sweeps flag it once."""
    now = now or timezone.now()
    ids = list(
        Complaint.objects.filter(
            state__in=OPEN_DISPATCH, dispatch_due_at__lt=now, dispatch_overdue=False
        ).values_list("pk", flat=True)[:batch]
    )
    flagged = 0
    for complaint_id in ids:
        with transaction.atomic():
            complaint = (
                Complaint.objects.select_for_update(of=("self",))
                .select_related("ticket", "ticket__customer")
                .filter(
                    pk=complaint_id,
                    state__in=OPEN_DISPATCH,
                    dispatch_due_at__lt=now,
                    dispatch_overdue=False,
                )
                .first()
            )
            if complaint is None:
                continue
            complaint.dispatch_overdue = True
            complaint.save(update_fields=["dispatch_overdue"])
            ComplaintStep.objects.create(
                complaint=complaint,
                step=Step.OVERDUE,
                at=now,
                state=complaint.state,
                department=complaint.department,
                due_at=complaint.dispatch_due_at,
            )
            do_major_evaluate(complaint=complaint, actor=None, now=now)
            handlers = User.objects.filter(
                is_active=True, department=complaint.department_id, groups__name=Role.HANDLER
            )
            do_notify(
                recipients=[*handlers, complaint.dispatched_by],
                kind="dispatch_overdue",
                title=_("派单逾期：%(number)s") % {"number": complaint.ticket.number},
                body=_("处理时限 %(due)s 已过，请尽快反馈处理结果。")
                % {"due": timezone.localtime(complaint.dispatch_due_at).strftime("%Y-%m-%d %H:%M")},
                url=reverse("tickets:detail", args=[complaint.ticket_id]),
            )
            flagged += 1
    return flagged
