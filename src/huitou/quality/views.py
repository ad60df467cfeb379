"""QA inspection pages: the inspector's queue and scoring page, the agent's results and
appeal, appeals to decide, calibration, mystery shoppers, figures. Thin: services decide."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huitou.complaints.qa import score_rollup_by_agent, score_rollup_by_department
from huitou.core.errors import DomainError
from huitou.core.periods import Period
from huitou.tickets.models import Channel, Ticket
from huitou.tickets.selectors import ticket_thread, visible_tickets

from . import selectors, services
from .defaults import ensure_quality_defaults
from .models import Inspection, Result


def _ticket_by_number(request, text: str) -> Ticket:
    text = (text or "").strip()
    ticket = visible_tickets(user=request.user).filter(number=text).first()
    if ticket is None and text.isdigit():
        ticket = visible_tickets(user=request.user).filter(pk=int(text)).first()
    if ticket is None:
        raise DomainError(_("工单不存在。"), field="ticket")
    return ticket


@login_required
def queue_view(request):
    queue = selectors.inspection_queue(user=request.user)
    ensure_quality_defaults()
    return render(
        request,
        "quality/queue.html",
        {
            "queue": queue[:200],
            "tasks": selectors.mystery_tasks(user=request.user).exclude(state="scored")[:50],
        },
    )


@login_required
@require_POST
def inspection_new_view(request):
    """An inspector picks a conversation (ticket number) for their own queue."""
    services.check_permission(request.user, services.INSPECT)
    try:
        ticket = _ticket_by_number(request, request.POST.get("ticket"))
        inspection = services.do_inspection_manual(actor=request.user, ticket=ticket)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:queue")
    return redirect("quality:inspection", inspection.pk)


def _item_input(request, inspection: Inspection) -> dict[str, dict]:
    items = {}
    for row in inspection.items.select_related("item"):
        key = row.item.key
        if f"result_{key}" in request.POST:
            items[key] = {
                "result": request.POST.get(f"result_{key}", ""),
                "points": request.POST.get(f"points_{key}") or None,
                "comment": request.POST.get(f"comment_{key}", ""),
            }
    return items


@login_required
def inspection_view(request, inspection_id: int):
    """The conversation beside the scorecard: pre-filled items with reasons, a comment per
    item. The agent sees their result here, read-only, with the appeal form."""
    inspection = selectors.access_inspection(user=request.user, inspection_id=inspection_id)
    can_score = services.may_score(request.user, inspection)
    if request.method == "POST":
        if not can_score:
            raise PermissionDenied
        try:
            services.do_inspection_score(
                actor=request.user,
                inspection=inspection,
                items=_item_input(request, inspection),
                comment=request.POST.get("comment", ""),
            )
            if "submit" in request.POST:
                services.do_inspection_submit(actor=request.user, inspection=inspection)
                messages.success(request, _("质检已提交。"))
                return redirect("quality:queue")
            messages.success(request, _("评分已保存。"))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("quality:inspection", inspection.pk)
    ticket = inspection.ticket
    return render(
        request,
        "quality/inspection.html",
        {
            "inspection": inspection,
            "ticket": ticket,
            "thread": ticket_thread(ticket=ticket),
            "items": selectors.inspection_items(inspection),
            "results": Result.choices,
            "can_score": can_score and inspection.state == Inspection.State.QUEUED,
            "appeal": getattr(inspection, "appeal", None),
            "can_appeal": inspection.agent_id == request.user.pk
            and inspection.state == Inspection.State.SUBMITTED
            and getattr(inspection, "appeal", None) is None,
        },
    )


@login_required
@require_POST
def appeal_view(request, inspection_id: int):
    inspection = selectors.access_inspection(user=request.user, inspection_id=inspection_id)
    try:
        services.do_appeal_file(
            actor=request.user, inspection=inspection, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("申诉已提交，等待主管裁决。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("quality:inspection", inspection.pk)


@login_required
def results_view(request):
    return render(
        request, "quality/results.html", {"results": selectors.my_results(user=request.user)[:200]}
    )


@login_required
def appeals_view(request):
    return render(
        request, "quality/appeals.html", {"appeals": selectors.open_appeals(user=request.user)}
    )


@login_required
@require_POST
def appeal_decide_view(request, appeal_id: int):
    appeal = selectors.access_appeal(user=request.user, appeal_id=appeal_id)
    try:
        services.do_appeal_decide(
            actor=request.user,
            appeal=appeal,
            decision=request.POST.get("decision", ""),
            new_score=request.POST.get("new_score") or None,
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("申诉已裁决。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("quality:appeals")


@login_required
def calibrations_view(request):
    sessions = selectors.calibrations(user=request.user)
    if request.method == "POST":
        try:
            ticket = _ticket_by_number(request, request.POST.get("ticket"))
            scorecard = services.scorecard_for(ticket)
            if scorecard is None:
                raise DomainError(_("没有适用于该渠道的评分表。"), field="scorecard")
            ids = [int(pk) for pk in request.POST.getlist("inspectors") if pk.isdigit()]
            session = services.do_calibration_create(
                actor=request.user,
                name=request.POST.get("name", ""),
                ticket=ticket,
                scorecard=scorecard,
                inspectors=services.users_by_ids(ids, field="inspectors"),
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("quality:calibrations")
        return redirect("quality:calibration", session.pk)
    return render(
        request,
        "quality/calibrations.html",
        {"sessions": sessions[:100], "inspectors": services.inspectors()},
    )


@login_required
def calibration_view(request, session_id: int):
    session = selectors.access_calibration(user=request.user, session_id=session_id)
    mine = session.inspections.filter(inspector=request.user).first()
    return render(
        request,
        "quality/calibration.html",
        {"session": session, "spread": selectors.calibration_spread(session), "mine": mine},
    )


@login_required
def mystery_view(request):
    tasks = selectors.mystery_tasks(user=request.user)
    if request.method == "POST":
        try:
            due = date.fromisoformat(request.POST.get("due_date", ""))
        except ValueError:
            messages.error(request, _("请填写完成日期。"))
            return redirect("quality:mystery")
        try:
            services.check_permission(request.user, services.MANAGE)
            inspector = request.POST.get("inspector", "")
            services.do_mystery_create(
                actor=request.user,
                title=request.POST.get("title", ""),
                script=request.POST.get("script", ""),
                channel=request.POST.get("channel", ""),
                due_date=due,
                inspector=services.users_by_ids(
                    [int(inspector)] if inspector.isdigit() else [0], field="inspector"
                )[0],
            )
            messages.success(request, _("神秘客任务已创建。"))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("quality:mystery")
    return render(
        request,
        "quality/mystery.html",
        {
            "tasks": tasks[:200],
            "channels": Channel.choices,
            "inspectors": services.inspectors(),
            "can_manage": request.user.has_perm(services.MANAGE),
        },
    )


@login_required
@require_POST
def mystery_link_view(request, task_id: int):
    task = selectors.access_mystery(user=request.user, task_id=task_id)
    try:
        ticket = _ticket_by_number(request, request.POST.get("ticket"))
        inspection = services.do_mystery_link(actor=request.user, task=task, ticket=ticket)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:mystery")
    return redirect("quality:inspection", inspection.pk)


@login_required
def figures_view(request):
    """QA scores of conversations, with the complaint dispatch scores alongside."""
    period = Period.last_days(90)
    window = {"start": period.start_at, "end": period.end_at}
    figures = selectors.quality_figures(user=request.user, **window)
    dispatch = None
    if request.user.has_perm("complaints.view_complaint"):
        dispatch = {
            "by_agent": score_rollup_by_agent(user=request.user, **window),
            "by_department": score_rollup_by_department(user=request.user, **window),
        }
    return render(
        request,
        "quality/figures.html",
        {"figures": figures, "dispatch": dispatch, "period": period},
    )
