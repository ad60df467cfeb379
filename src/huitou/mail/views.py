from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huitou.core.errors import DomainError
from huitou.tickets.models import Message

from .outgoing import do_outgoing_resend


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
