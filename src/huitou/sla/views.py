from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huitou.core.errors import DomainError
from huitou.core.periods import Period, checked_period
from huitou.tickets.selectors import access_ticket
from huitou.tickets.views import render_ticket_page

from .forms import ReportForm, TransferForm
from .models import AgentStatus, Queue
from .reports import sla_breaches, sla_compliance
from .routing import do_agent_status_set, do_ticket_transfer


def _safe_next(request) -> str | None:
    """The page a form was sent from, if it is one of ours (never another site)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
@require_POST
def duty_toggle_view(request):
    """The top bar's on/off duty switch: set my own duty, then back to the page I was on."""
    do_agent_status_set(
        actor=request.user, user=request.user, on_duty=request.POST.get("on_duty") == "1"
    )
    messages.success(request, _("在岗状态已更新。"))
    return redirect(_safe_next(request) or "tickets:inbox")


@login_required
def sla_overview_view(request):
    """Compliance by group, the breaches, the queues and who is on duty; my own duty."""
    if request.method == "POST":  # an older form of the top bar's switch posted here
        return duty_toggle_view(request)
    if not request.user.has_perm("core.view_reports"):
        raise PermissionDenied
    form = ReportForm(request.GET or None)
    period, group_by = Period.last_days(30), "policy"
    if request.GET and form.is_valid():
        group_by = form.cleaned_data["group_by"] or "policy"
        try:
            period = checked_period(form.cleaned_data["start"], form.cleaned_data["end"])
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    elif not request.GET:
        form = ReportForm(initial={"start": period.start, "end": period.end, "group_by": group_by})
    window = {"start": period.start_at, "end": period.end_at}
    statuses = {status.user_id: status for status in AgentStatus.objects.all()}
    queues = [
        (queue, [(member, statuses.get(member.pk)) for member in queue.members.all()])
        for queue in Queue.objects.prefetch_related("members").order_by("order", "id")
    ]
    return render(
        request,
        "sla/overview.html",
        {
            "form": form,
            "report": sla_compliance(user=request.user, group_by=group_by, **window),
            "breaches": sla_breaches(user=request.user, limit=100, **window),
            "queues": queues,
        },
    )


@login_required
@require_POST
def ticket_transfer_view(request, ticket_id: int):
    ticket = access_ticket(user=request.user, ticket_id=ticket_id)
    form = TransferForm(request.POST)
    if form.is_valid():
        try:
            do_ticket_transfer(actor=request.user, ticket=ticket, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        except PermissionDenied as denied:
            # The ticket page again with the reason, answering 403 as the API does.
            messages.error(request, str(denied) or _("您没有执行此操作的权限。"))
            return render_ticket_page(request, ticket, status=403)
        else:
            messages.success(request, _("工单已转派。"))
    else:
        messages.error(request, _("请填写转派原因，并选择转派给谁或哪个队列。"))
    return redirect("tickets:detail", ticket_id=ticket.pk)
