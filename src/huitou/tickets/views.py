from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huitou.accounts.models import User
from huitou.accounts.selectors import assignable_agents
from huitou.accounts.services import access_user_by_token
from huitou.core.errors import DomainError
from huitou.core.forms import add_domain_error
from huitou.core.pagination import paginate_queryset, querystring_without_page
from huitou.customers.selectors import access_customer, visible_customers
from huitou.customers.services import find_customer_by_phone

from .attachments import (
    DEFAULT_CONTENT_TYPE,
    attachments_from_uploads,
    is_inline_image,
    max_attachment_bytes,
)
from .forms import InboxFilterForm, PhoneTicketForm, ReplyForm, TicketUpdateForm
from .models import TicketType
from .panels import by_slot, panels_for
from .phrases import forbidden_phrases_in, forbidden_warning, standard_phrases_for
from .selectors import (
    access_attachment,
    access_ticket,
    request_attachments,
    ticket_history,
    ticket_list,
    ticket_thread,
)
from .services import do_message_add, do_phone_ticket_create, do_ticket_update


@login_required
@require_GET
def inbox_view(request):
    form = InboxFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {"view": "all", "status": "active"}
    if not request.GET:
        form = InboxFilterForm(initial=filters)
    page = paginate_queryset(request, ticket_list(user=request.user, **filters))
    context = {
        "form": form,
        "page": page,
        "current_view": filters.get("view", "all"),
        "querystring": querystring_without_page(request),
    }
    if request.headers.get("HX-Request"):
        return render(request, "tickets/_inbox_table.html", {**context, "tabs_oob": True})
    return render(request, "tickets/inbox.html", context)


@login_required
def phone_ticket_view(request):
    if not request.user.has_perm("tickets.add_ticket"):
        raise PermissionDenied
    form = PhoneTicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = None
        if data["customer_id"]:
            customer = access_customer(user=request.user, customer_id=data["customer_id"])
        try:
            ticket = do_phone_ticket_create(
                actor=request.user,
                phone=data["phone"],
                customer=customer,
                customer_name=data["customer_name"],
                customer_kind=data["customer_kind"],
                type=data["type"],
                priority=data["priority"],
                subject=data["subject"],
                description=data["description"],
                department=data["department"],
            )
        except DomainError as error:
            add_domain_error(
                form, error, field_map={"name": "customer_name", "kind": "customer_kind"}
            )
        else:
            messages.success(request, _("已创建工单 %(number)s。") % {"number": ticket.number})
            return redirect("tickets:detail", ticket_id=ticket.pk)
    phone = (form["phone"].value() or "").strip()
    return render(request, "tickets/phone_ticket.html", {"form": form, **_caller(request, phone)})


def _caller(request, phone: str) -> dict:
    """Who is calling: the customer with this number (if this user may see them) and their
    latest tickets; no customer means the form asks for a new one's name and kind."""
    customer = find_customer_by_phone(phone=phone) if len(phone) >= 5 else None
    if (
        customer is not None
        and not visible_customers(user=request.user).filter(pk=customer.pk).exists()
    ):
        customer = None
    recent = ticket_list(user=request.user, customer_id=customer.pk)[:5] if customer else []
    return {"customer": customer, "phone": phone, "recent_tickets": recent}


@login_required
@require_GET
def customer_lookup_view(request):
    """htmx: who is calling? Shows the matching customer, or says a new one will be filed."""
    if not request.user.has_perm("tickets.add_ticket"):
        raise PermissionDenied  # a step of filing a phone ticket
    phone = request.GET.get("phone", "").strip()
    return render(request, "tickets/_customer_lookup.html", _caller(request, phone))


def _update_form(request, ticket, data=None) -> TicketUpdateForm:
    """The 处理 form, offering only the choices this user may make."""
    user = request.user
    if user.has_perm("tickets.assign_ticket"):
        choice = Q(pk__in=assignable_agents().values("pk"))
    else:  # take the ticket or let it go
        choice = Q(pk=user.pk)
    # The current assignee stays selectable even if not offered, so saving keeps them.
    assignees = User.objects.filter(choice | Q(pk=ticket.assignee_id))
    form = TicketUpdateForm(
        data,
        initial={
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee_id,
            "department": ticket.department_id,
        },
        assignee_queryset=assignees.distinct()
        .select_related("department")
        .prefetch_related("groups"),
    )
    if not user.has_perm("tickets.dispatch_ticket") or ticket.type == TicketType.COMPLAINT:
        del form.fields["department"]  # a complaint is dispatched through the complaint flow
    if ticket.type == TicketType.COMPLAINT:
        del form.fields["status"]
    return form


def _forbidden_warned(*forms) -> bool:
    """Was a reply just refused for a forbidden phrase? Then offer to send it anyway."""
    return any(
        error.code == "forbidden_phrase"
        for form in forms
        if form.is_bound
        for error in form.errors.as_data().get("body", [])
    )


def _offer_confirmation(form) -> None:
    """The "send anyway" box shows only after a forbidden-phrase warning."""
    if "confirm_forbidden" in form.fields and not _forbidden_warned(form):
        form.fields["confirm_forbidden"].widget = forms.HiddenInput()


def render_ticket_page(
    request, ticket, *, reply_form=None, update_form=None, panel_bound=None, status=200
):
    """The ticket page; `panel_bound` hands a refused POST's bound forms back to the panel
    they belong to ({panel name: forms}), see huitou.tickets.panels."""
    update_form = update_form or _update_form(request, ticket)
    reply_form = reply_form or ReplyForm(initial={"public": True})
    shown = panels_for(request, ticket, bound=panel_bound)
    panel_forms = [form for panel in shown for form in panel.forms]
    for form in (*panel_forms, reply_form):
        _offer_confirmation(form)
    context = {
        "ticket": ticket,
        "thread": ticket_thread(ticket=ticket),
        "request_attachments": request_attachments(ticket=ticket),
        "attachment_limit": max_attachment_bytes(),
        "history": ticket_history(ticket=ticket),
        "reply_form": reply_form,
        "phrase_groups": standard_phrases_for(ticket),
        "panels": by_slot(shown),
        # A warning in any reply box (the complaint answer too) offers "send anyway" here.
        "forbidden_warned": _forbidden_warned(reply_form, *panel_forms),
        "update_form": update_form,
        "customer_tickets": ticket_list(user=request.user, customer_id=ticket.customer_id).exclude(
            pk=ticket.pk
        )[:5],
        "can_reply_public": request.user.has_perm("tickets.reply_to_customer"),
        "can_change": request.user.has_perm("tickets.change_ticket"),
    }
    return render(request, "tickets/ticket_detail.html", context, status=status)


def _draft_key(ticket_id: int) -> str:
    return f"tickets.reply_draft.{ticket_id}"


def _draft_reply_form(request, ticket_id: int) -> ReplyForm | None:
    """The reply that was refused, back in the box with the refusal, until it is sent."""
    draft = request.session.get(_draft_key(ticket_id))
    if not draft:
        return None
    form = ReplyForm({"body": draft["body"], "public": "on" if draft["public"] else ""})
    if form.is_valid() and draft.get("error"):
        error = draft["error"]
        field = error["field"] if error["field"] in form.fields else None
        form.add_error(field, forms.ValidationError(error["message"], code=error["code"]))
    return form


@login_required
@require_GET
def ticket_detail_view(request, ticket_id: int):
    ticket = access_ticket(user=request.user, ticket_id=ticket_id)
    return render_ticket_page(request, ticket, reply_form=_draft_reply_form(request, ticket.pk))


@login_required
@require_POST
def ticket_reply_view(request, ticket_id: int):
    """Post/Redirect/Get: a refused reply (a forbidden phrase, an unfilled variable) is kept
    as the ticket's draft in the session and the page shown again by GET, so a reload does
    not post it a second time."""
    ticket = access_ticket(user=request.user, ticket_id=ticket_id)
    form = ReplyForm(request.POST)
    key = _draft_key(ticket.pk)
    uploads = request.FILES.getlist("attachments")
    if form.is_valid():
        try:
            do_message_add(
                actor=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                public=form.cleaned_data["public"],
                confirm_forbidden=form.cleaned_data["confirm_forbidden"],
                attachments=attachments_from_uploads(uploads),
            )
        except DomainError as error:
            request.session[key] = {
                "body": form.cleaned_data["body"],
                "public": form.cleaned_data["public"],
                "error": {"field": error.field, "message": error.message, "code": error.code},
            }
        else:
            request.session.pop(key, None)
            messages.success(request, _("已发送。"))
            return redirect("tickets:detail", ticket_id=ticket.pk)
    else:  # the form's own errors come back when the draft is bound again
        request.session[key] = {
            "body": request.POST.get("body", "")[:20000],
            "public": bool(request.POST.get("public")),
            "error": None,
        }
    if uploads:  # the draft keeps the text, not the files
        messages.warning(request, _("回复未发送，请重新选择附件。"))
    return redirect(reverse("tickets:detail", args=[ticket.pk]) + "#reply-form")


@login_required
@require_POST
def ticket_update_view(request, ticket_id: int):
    ticket = access_ticket(user=request.user, ticket_id=ticket_id)
    form = _update_form(request, ticket, request.POST)
    if form.is_valid():
        # Only what the user changed: an untouched field must not trip a permission check.
        changes = {
            name: value
            for name, value in form.cleaned_data.items()
            if value != getattr(ticket, name)
        }
        try:
            do_ticket_update(actor=request.user, ticket=ticket, changes=changes)
        except DomainError as error:
            add_domain_error(form, error)
        except PermissionDenied as denied:
            # The page again with the reason in the form, answering 403 as the API does.
            form.add_error(None, str(denied) or _("您没有执行此操作的权限。"))
            return render_ticket_page(request, ticket, update_form=form, status=403)
        else:
            messages.success(request, _("工单已更新。"))
            return redirect("tickets:detail", ticket_id=ticket.pk)
    return render_ticket_page(request, ticket, update_form=form, status=422)


# The download is a file someone sent us: never run as a page of ours, never sniffed into one.
ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _attachment_requester(request):
    """Who is asking: the bearer token's user (the API gives this URL to its clients), else
    the signed-in session's, else None."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return access_user_by_token(header[7:].strip(), request=request)
    return request.user if request.user.is_authenticated else None


@require_GET
def attachment_download_view(request, attachment_id: int):
    """An attachment, to whoever may see its ticket (another department's handler gets 404).
    Only raster images open in the browser; everything else is a download."""
    user = _attachment_requester(request)
    if user is None:
        if "Authorization" in request.headers:
            return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
        return redirect_to_login(request.get_full_path())
    attachment = access_attachment(user=user, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("附件文件不存在。")) from None
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


@login_required
@require_POST
def phrase_check_view(request):
    """htmx: warn about forbidden phrases while the agent is still typing."""
    if not request.user.has_perm("tickets.add_message"):
        raise PermissionDenied
    text = request.POST.get("body", "")[:20000]
    hits = forbidden_phrases_in(text)
    return render(
        request,
        "tickets/_phrase_warning.html",
        {"warning": forbidden_warning(hits) if hits else ""},
    )
