from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huitou.core.errors import DomainError
from huitou.core.ratelimit import rate_limited
from huitou.tickets.models import Message

from .auto_answer import already_confirmed, do_ticket_solved, may_resolve, solved_link
from .outgoing import do_outgoing_resend
from .services import mail_user


@login_required
@require_POST
def resend_view(request, message_id: int):
    """The thread's 重新发送 button: back to the ticket, saying what happened."""
    try:
        outgoing = do_outgoing_resend(actor=request.user, message_id=message_id)
    except DomainError as error:  # raised only after the ticket was found visible
        messages.error(request, error.message)
        ticket_id = Message.objects.values_list("ticket_id", flat=True).get(pk=message_id)
    else:
        messages.success(request, _("邮件已重新排队发送。"))
        ticket_id = outgoing.ticket_message.ticket_id
    return redirect("tickets:detail", ticket_id=ticket_id)


@require_http_methods(["GET", "POST"])
@rate_limited("portal_vote")  # a FAQ vote, as the portal's 有帮助 button is
def solved_view(request, token: str):
    """The 这解决了我的问题 link of an automatic answer (public: the signed link is the key).
    GET only shows the question and a button, since mail scanners open links; POST counts
    the answer and resolves the ticket, once."""
    link = solved_link(token)
    if link is None:
        return render(request, "mail/solved.html", {"invalid": True}, status=400)
    context = {"ticket": link.ticket, "entry": link.entry}
    if request.method == "POST":
        outcome = do_ticket_solved(actor=mail_user(), link=link)
        return render(request, "mail/solved.html", {**context, "done": True, **vars(outcome)})
    context.update(done=already_confirmed(link.ticket), resolvable=may_resolve(link.ticket))
    return render(request, "mail/solved.html", context)
