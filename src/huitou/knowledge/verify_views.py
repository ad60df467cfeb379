"""The portal's contact confirmation page (确认联系方式): ask for a code, enter it.

The page's address carries a signed token for one ticket; only the person who filed the
ticket is shown it (on the confirmation after submitting), so nobody can reach another
ticket's page by guessing a number. Sending a code is rate-limited per client and overall
(huitou.core.ratelimit, group "portal_code") and per destination
(CONTACT_CODE_DESTINATION_RATE), so the page cannot be used to flood someone's phone."""

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from huitou.core.errors import DomainError
from huitou.core.forms import add_domain_error
from huitou.core.ratelimit import RateLimited, check_rate_limit
from huitou.tickets.models import ContactStatus

from .models import ContactCode
from .verification import (
    destination_for,
    destinations,
    do_contact_code_check,
    do_contact_code_send,
    masked,
    ticket_for_link,
    ticket_link_token,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def done_context(ticket) -> dict:
    """What the page after submitting shows: the number, and the way to prove the contact."""
    context = {"ticket": ticket, "verify_url": None}
    if ticket.contact_status == ContactStatus.UNVERIFIED and destinations(ticket):
        context["verify_url"] = reverse("help:verify", args=[ticket_link_token(ticket)])
    return context


def _ticket(token: str):
    ticket = ticket_for_link(token)
    if ticket is None:
        raise Http404
    return ticket


def _page(request, ticket, token: str, *, form=None, sent: str = "", status: int = 200):
    channels = [
        {"value": channel, "label": ContactCode.Channel(channel).label, "to": masked(to)}
        for channel, to in destinations(ticket).items()
    ]
    context = {
        "ticket": ticket,
        "token": token,
        "channels": channels,
        "form": form or CodeForm(),
        "sent": masked(sent) if sent else "",
        "verified": ticket.contact_status == ContactStatus.VERIFIED,
        "minutes": max(1, settings.CONTACT_CODE_TTL_SECONDS // 60),
    }
    return render(request, "knowledge/help_verify.html", context, status=status)


def help_verify_view(request, token: str):
    """GET: the page. POST: check the entered code."""
    ticket = _ticket(token)
    if request.method != "POST":
        return _page(request, ticket, token)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            ticket = do_contact_code_check(ticket=ticket, code=form.cleaned_data["code"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _page(request, ticket, token)
    return _page(request, ticket, token, form=form, status=422)


def check_destination_rate(request, destination: str) -> None:
    """At most CONTACT_CODE_DESTINATION_RATE codes to one phone or address, whoever asks."""
    usage = get_usage(
        request,
        group="huitou:portal_code_destination",
        key=lambda _group, _request: destination.lower(),
        rate=settings.CONTACT_CODE_DESTINATION_RATE,
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimited(
            group="portal_code", scope="destination", retry_after=max(1, usage["time_left"])
        )


@require_POST
def help_verify_send_view(request, token: str):
    ticket = _ticket(token)
    channel = request.POST.get("channel", "")
    try:
        destination = destination_for(ticket, channel)
        check_rate_limit(request, "portal_code")
        check_destination_rate(request, destination)
        do_contact_code_send(ticket=ticket, channel=channel)
    except RateLimited as limited:
        return limited.response(request)
    except DomainError as error:
        form = CodeForm()
        form.add_error(None, error.message)
        return _page(request, ticket, token, form=form, status=422)
    return _page(request, ticket, token, sent=destination)
