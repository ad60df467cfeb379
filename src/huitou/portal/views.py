"""The customer portal's pages under /help/: sign in with a code or link, 我的工单, a
ticket's public thread with reply, resolve and reopen, and a guest's private ticket link.

Every ticket page resolves its ticket through selectors.portal_ticket with the visitor's
scope, so a ticket outside it is a 404 whatever its number."""

from django import forms
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huitou.core.errors import DomainError
from huitou.core.forms import add_domain_error
from huitou.core.ratelimit import RateLimited, check_rate_limit, rate_limited
from huitou.knowledge.verification import masked
from huitou.knowledge.verify_views import check_destination_rate
from huitou.tickets.attachments import DEFAULT_CONTENT_TYPE, is_inline_image
from huitou.tickets.views import ATTACHMENT_CSP

from .sections import sections_for
from .selectors import (
    SESSION_KEY,
    guest_scope,
    portal_attachment,
    portal_ticket,
    portal_ticket_page,
    public_thread,
    request_files,
    session_scope,
)
from .services import (
    SESSION_MAX_AGE,
    do_portal_reopen,
    do_portal_reply,
    do_portal_resolve,
    do_sign_in_code_check,
    do_sign_in_link_use,
    do_sign_in_request,
    may_reopen,
    may_resolve,
    parse_destination,
    ticket_for_guest_token,
)

PENDING_KEY = "huitou_portal_pending"  # the destination a code was asked for


class SignInForm(forms.Form):
    contact = forms.CharField(
        label=gettext_lazy("电子邮箱或手机号码"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("补充说明"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )


# --- the session ---------------------------------------------------------------------------


def _sign_in(request, row) -> None:
    request.session.cycle_key()  # a new session id at sign-in (no fixation)
    request.session[SESSION_KEY] = {
        "customer": row.customer_id,
        "channel": row.channel,
        "to": row.destination,
    }
    request.session.pop(PENDING_KEY, None)
    _renew(request)


def _renew(request) -> None:
    # Rolling expiry, but never for a browser a staff member is logged in on: their
    # session's lifetime is the staff login's, not the portal's.
    if "_auth_user_id" not in request.session:
        request.session.set_expiry(int(SESSION_MAX_AGE.total_seconds()))


def signed_in_scope(request):
    scope = session_scope(request.session)
    if scope is not None:
        _renew(request)
    return scope


def _scope_or_sign_in(request):
    scope = signed_in_scope(request)
    if scope is None:
        return None, redirect("portal:sign_in")
    return scope, None


# --- sign in -------------------------------------------------------------------------------


def sign_in_view(request):
    """GET: the form. POST: send a code and link when someone has the contact; the answer is
    the same page whether or not anyone does."""
    if request.method != "POST":
        if signed_in_scope(request) is not None:
            return redirect("portal:tickets")
        return render(request, "portal/sign_in.html", {"form": SignInForm()})
    form = SignInForm(request.POST)
    if form.is_valid():
        try:
            _channel, destination = parse_destination(form.cleaned_data["contact"])
            check_rate_limit(request, "portal_code")
            check_destination_rate(request, destination)
            do_sign_in_request(
                contact=destination,
                link_base=request.build_absolute_uri(reverse("portal:sign_in_link", args=["x"]))[
                    :-2
                ],
            )
        except RateLimited as limited:
            return limited.response(request)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            request.session[PENDING_KEY] = destination
            return _code_page(request, destination)
    return render(request, "portal/sign_in.html", {"form": form}, status=422)


def _code_page(request, destination: str, *, form=None, status: int = 200):
    context = {"form": form or CodeForm(), "sent_to": masked(destination)}
    return render(request, "portal/sign_in_code.html", context, status=status)


@require_POST
def sign_in_code_view(request):
    destination = request.session.get(PENDING_KEY)
    if not destination:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            row = do_sign_in_code_check(destination=destination, code=form.cleaned_data["code"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            _sign_in(request, row)
            return redirect("portal:tickets")
    return _code_page(request, destination, form=form, status=422)


def sign_in_link_view(request, token: str):
    """GET: a button (mail scanners open links; only the visitor's click signs in).
    POST: use the link once."""
    if request.method != "POST":
        return render(request, "portal/sign_in_link.html", {"token": token})
    try:
        row = do_sign_in_link_use(token=token)
    except DomainError as error:
        context = {"token": token, "error": error.message}
        return render(request, "portal/sign_in_link.html", context, status=422)
    _sign_in(request, row)
    return redirect("portal:tickets")


@require_POST
def sign_out_view(request):
    request.session.pop(SESSION_KEY, None)
    request.session.pop(PENDING_KEY, None)
    return redirect("help:home")


# --- tickets -------------------------------------------------------------------------------


@require_GET
def my_tickets_view(request):
    scope, redirect_response = _scope_or_sign_in(request)
    if scope is None:
        return redirect_response
    page = portal_ticket_page(scope, page=request.GET.get("page"))
    sections = sections_for(request, scope)
    return render(
        request, "portal/tickets.html", {"page": page, "scope": scope, "sections": sections}
    )


def _urls(ticket, token: str | None) -> dict:
    if token is None:
        args, prefix = [ticket.pk], "portal:"
    else:
        args, prefix = [token], "portal:guest_"
    return {
        "reply": reverse(f"{prefix}reply", args=args),
        "resolve": reverse(f"{prefix}resolve", args=args),
        "reopen": reverse(f"{prefix}reopen", args=args),
        "file": reverse(f"{prefix}file", args=[*args, 0])[:-2],
        "page": reverse("portal:ticket", args=args)
        if token is None
        else reverse("portal:guest", args=args),
    }


def _ticket_page(request, ticket, token=None, *, form=None, error="", status=200):
    context = {
        "error": error,
        "ticket": ticket,
        "thread": public_thread(ticket),
        "request_files": request_files(ticket),
        "form": form or ReplyForm(),
        "urls": _urls(ticket, token),
        "guest": token is not None,
        "may_resolve": may_resolve(ticket),
        "may_reopen": may_reopen(ticket),
    }
    return render(request, "portal/ticket.html", context, status=status)


def _reply(request, ticket, token=None):
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            do_portal_reply(
                ticket=ticket,
                body=form.cleaned_data["body"],
                files=request.FILES.getlist("attachments"),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(_urls(ticket, token)["page"])
    return _ticket_page(request, ticket, token, form=form, status=422)


def _act(request, ticket, token, action):
    try:
        action(ticket=ticket)
    except DomainError as error:
        return _ticket_page(request, ticket, token, error=error.message, status=409)
    return redirect(_urls(ticket, token)["page"])


def _file(ticket, attachment_id: int):
    attachment = portal_attachment(ticket, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = is_inline_image(attachment)
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type if inline else DEFAULT_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def _mine(request, ticket_id: int):
    scope, redirect_response = _scope_or_sign_in(request)
    if scope is None:
        return None, redirect_response
    return portal_ticket(scope, ticket_id), None


@require_GET
def ticket_view(request, ticket_id: int):
    ticket, response = _mine(request, ticket_id)
    return response or _ticket_page(request, ticket)


@require_POST
@rate_limited("portal_ticket")  # a reply is as much work for the desk as a new ticket
def reply_view(request, ticket_id: int):
    ticket, response = _mine(request, ticket_id)
    return response or _reply(request, ticket)


@require_POST
def resolve_view(request, ticket_id: int):
    ticket, response = _mine(request, ticket_id)
    return response or _act(request, ticket, None, do_portal_resolve)


@require_POST
def reopen_view(request, ticket_id: int):
    ticket, response = _mine(request, ticket_id)
    return response or _act(request, ticket, None, do_portal_reopen)


@require_GET
def file_view(request, ticket_id: int, attachment_id: int):
    ticket, response = _mine(request, ticket_id)
    return response or _file(ticket, attachment_id)


def _guest(token: str):
    ticket = ticket_for_guest_token(token)
    if ticket is None:
        raise Http404
    return portal_ticket(guest_scope(ticket), ticket.pk)


@require_GET
def guest_ticket_view(request, token: str):
    return _ticket_page(request, _guest(token), token)


@require_POST
@rate_limited("portal_ticket")
def guest_reply_view(request, token: str):
    return _reply(request, _guest(token), token)


@require_POST
def guest_resolve_view(request, token: str):
    return _act(request, _guest(token), token, do_portal_resolve)


@require_POST
def guest_reopen_view(request, token: str):
    return _act(request, _guest(token), token, do_portal_reopen)


@require_GET
def guest_file_view(request, token: str, attachment_id: int):
    return _file(_guest(token), attachment_id)
