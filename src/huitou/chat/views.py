"""The agent's chat console (在线会话): waiting chats per queue, the chats they hold, one
conversation with its bot transcript, the customer's archive, phrases and the composer.
Every action is a service call; the page's script (static chat_console.js) gets live
frames over the staff WebSocket and reloads the parts that changed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.accounts.selectors import assignable_agents
from huitou.core.errors import DomainError
from huitou.core.permissions import check_permission
from huitou.sla.models import Queue
from huitou.tickets.phrases import standard_phrases_for
from huitou.tickets.selectors import ticket_thread
from huitou.tickets.services import do_message_add

from .live import message_author, message_sender
from .selectors import access_session, console_sessions, reply_window_closes, reply_window_open
from .services import do_chat_accept, do_chat_end, do_chat_seat_set, do_chat_transfer


def _chat_agents():
    """Who a chat may be handed to: the desk (agents, supervisors), not departments' handlers."""
    desk = User.objects.filter(groups__name__in=(Role.AGENT, Role.SUPERVISOR)).values("pk")
    return assignable_agents().filter(pk__in=desk)


def _check_console(user) -> None:
    check_permission(user, "tickets.reply_to_customer")


def _conversation_context(request, session_id: int) -> dict:
    session = access_session(user=request.user, session_id=session_id)
    ticket = session.ticket
    thread = ticket_thread(ticket=ticket)
    customer = ticket.customer
    return {
        "session": session,
        "ticket": ticket,
        "lines": [
            {"message": m, "sender": message_sender(m), "author": message_author(m)} for m in thread
        ],
        "last_id": thread[-1].pk if thread else 0,
        "customer": customer,
        "recent_tickets": customer.tickets.exclude(pk=ticket.pk).order_by("-created_at")[:5],
        "phrase_groups": standard_phrases_for(ticket),
        "window_open": reply_window_open(session),
        "window_closes": reply_window_closes(session),
        "agents": _chat_agents(),
        "transfer_queues": Queue.objects.filter(active=True).order_by("order", "id"),
        "holding": session.agent_id == request.user.pk,
        "draft": request.session.pop(f"chat-draft-{session.pk}", None),
    }


@login_required
@require_GET
def console_view(request):
    _check_console(request.user)
    context = console_sessions(user=request.user)
    selected = request.GET.get("session")
    if selected and selected.isdigit():
        context.update(_conversation_context(request, int(selected)))
    return render(request, "chat/console.html", context)


@login_required
@require_GET
def lists_view(request):
    """The waiting and held lists alone (the console reloads them on a live frame)."""
    _check_console(request.user)
    context = console_sessions(user=request.user)
    selected = request.GET.get("session")
    context["selected_id"] = int(selected) if selected and selected.isdigit() else None
    return render(request, "chat/_lists.html", context)


@login_required
@require_GET
def conversation_view(request, session_id: int):
    _check_console(request.user)
    return render(request, "chat/_conversation.html", _conversation_context(request, session_id))


def _back(session_id: int):
    return redirect(reverse("chat:console") + f"?session={session_id}")


def _act(request, session_id: int, action, done: str):
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    except PermissionDenied as error:
        messages.error(request, str(error) or _("没有权限。"))
    else:
        if done:
            messages.success(request, done)
    return _back(session_id)


@login_required
@require_POST
def accept_view(request, session_id: int):
    _check_console(request.user)
    access_session(user=request.user, session_id=session_id)
    return _act(
        request,
        session_id,
        lambda: do_chat_accept(actor=request.user, session_id=session_id),
        _("已接入会话。"),
    )


@login_required
@require_POST
def send_view(request, session_id: int):
    """A reply or an internal note; a refused reply stays in the composer with the reason."""
    _check_console(request.user)
    session = access_session(user=request.user, session_id=session_id)
    body = request.POST.get("body", "")
    public = request.POST.get("kind", "reply") != "note"
    try:
        do_message_add(
            actor=request.user,
            ticket=session.ticket,
            body=body,
            public=public,
            confirm_forbidden=request.POST.get("confirm_forbidden") == "1",
        )
    except DomainError as error:
        request.session[f"chat-draft-{session.pk}"] = {
            "body": body[:20000],
            "note": not public,
            "error": error.message,
            "code": error.code,
        }
    if request.headers.get("HX-Request"):
        return render(
            request, "chat/_conversation.html", _conversation_context(request, session_id)
        )
    return _back(session_id)


@login_required
@require_POST
def transfer_view(request, session_id: int):
    _check_console(request.user)
    session = access_session(user=request.user, session_id=session_id)
    agents = {str(a.pk): a for a in _chat_agents()}
    queues = {str(q.pk): q for q in Queue.objects.filter(active=True)}
    assignee = agents.get(request.POST.get("assignee", ""))
    queue = queues.get(request.POST.get("queue", ""))
    return _act(
        request,
        session.pk,
        lambda: do_chat_transfer(
            actor=request.user,
            session_id=session.pk,
            reason=request.POST.get("reason", ""),
            assignee=assignee,
            queue=queue,
        ),
        _("已转接。"),
    )


@login_required
@require_POST
def end_view(request, session_id: int):
    _check_console(request.user)
    access_session(user=request.user, session_id=session_id)
    return _act(
        request,
        session_id,
        lambda: do_chat_end(actor=request.user, session_id=session_id),
        _("会话已结束。"),
    )


@login_required
@require_POST
def seat_view(request):
    """The agent's own rings (sound and desktop notification)."""
    _check_console(request.user)
    try:
        do_chat_seat_set(
            actor=request.user,
            user=request.user,
            ring_new_chat=request.POST.get("ring_new_chat") == "1",
            ring_major_complaint=request.POST.get("ring_major_complaint") == "1",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("提醒设置已保存。"))
    return redirect("chat:console")
