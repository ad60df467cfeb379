"""The unsubscribe page a notification links to: no sign-in, the signed link is the proof.
GET only asks (mail scanners and link previews open links), POST does it."""

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .services import customer_for_token, do_notifications_opt_out, opted_out_channels


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    customer = customer_for_token(token)
    if customer is None:
        return HttpResponseBadRequest(
            render_to_string("notify/unsubscribe_invalid.html", request=request)
        )
    done = False
    if request.method == "POST":
        do_notifications_opt_out(customer=customer, channel="")
        done = True
    return render(
        request,
        "notify/unsubscribe.html",
        {
            "token": token,
            "done": done,
            "already": not done and bool(opted_out_channels(customer)),
            "title": _("退订工单进度通知"),
        },
    )
