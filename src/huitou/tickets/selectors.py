import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from huitou.accounts.scope import scope_to_department
from huitou.core.errors import check_text
from huitou.core.models import AuditEntry
from huitou.core.permissions import check_permission
from huitou.customers.phones import phone_digits

from .models import DONE_STATUSES, Attachment, Message, Ticket

INBOX_VIEWS = ("all", "mine", "unassigned", "department")
PHONE_LIKE = re.compile(r"[\d\s()+\-]+")


def visible_tickets(*, user) -> QuerySet[Ticket]:
    """Tickets `user` may see: every department's, or only their own (accounts.scope)."""
    check_permission(user, "tickets.view_ticket")
    return scope_to_department(Ticket.objects.all(), user)


def ticket_list(
    *,
    user,
    view: str = "all",
    status: str = "",
    type: str = "",
    priority: str = "",
    tier: str = "",
    q: str = "",
    customer_id: int | None = None,
    channel: str = "",
) -> QuerySet[Ticket]:
    tickets = visible_tickets(user=user)
    if view == "mine":
        tickets = tickets.filter(assignee=user)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif view == "department":
        if user.department_id is None:
            return tickets.none()
        tickets = tickets.filter(department_id=user.department_id)
    if status == "active":
        tickets = tickets.exclude(status__in=DONE_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    if type:
        tickets = tickets.filter(type=type)
    if priority:
        tickets = tickets.filter(priority=priority)
    if tier:
        tickets = tickets.filter(customer__tier=tier)
    if customer_id:
        tickets = tickets.filter(customer_id=customer_id)
    if channel:
        tickets = tickets.filter(channel=channel)
    q = check_text((q or "").strip(), field="q", max_length=200)
    if q:
        condition = (
            Q(number__icontains=q)
            | Q(subject__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(customer__number__iexact=q)
        )
        digits = phone_digits(q) if PHONE_LIKE.fullmatch(q) else ""
        if len(digits) >= 4:
            condition |= Q(customer__phone_digits__contains=digits)
        tickets = tickets.filter(condition)
    return tickets.select_related(
        "customer", "assignee", "department", "sla__policy__calendar"
    ).order_by("-created_at", "-id")


def access_ticket(*, user, ticket_id: int) -> Ticket:
    """The ticket if `user` may see it; 404 otherwise, so its existence is not revealed."""
    try:
        return (
            visible_tickets(user=user)
            .select_related(
                "customer", "assignee", "department", "created_by", "queue", "sla__policy__calendar"
            )
            .get(pk=ticket_id)
        )
    except Ticket.DoesNotExist:
        raise Http404(_("工单不存在。")) from None


def ticket_messages(*, ticket: Ticket) -> QuerySet[Message]:
    return ticket.messages.select_related("author").order_by("created_at", "id")


@dataclass(frozen=True)
class MessageExtra:
    """Something another app knows about messages (mail: each reply's delivery state).
    `fn(messages)` answers for a whole thread at once, {message pk: value}, leaving out the
    messages it has nothing for; `template`, if any, shows the value on the thread (it gets
    `value` and `message`)."""

    key: str
    fn: Callable[[list[Message]], dict[int, Any]]
    template: str = ""


# Registered from the apps' AppConfig.ready(): tickets imports none of them.
_MESSAGE_EXTRAS: dict[str, MessageExtra] = {}


def register_message_extra(
    key: str, fn: Callable[[list[Message]], dict[int, Any]], *, template: str = ""
) -> None:
    """Add `key` to every message of the thread (the API's messages, the ticket page).
    Registering the same again (a second ready()) is harmless; another under a taken key
    is an error."""
    extra = MessageExtra(key=key, fn=fn, template=template)
    existing = _MESSAGE_EXTRAS.get(key)
    if existing is not None and existing != extra:
        raise ImproperlyConfigured(f"Message extra {key!r} is already registered: {existing}.")
    _MESSAGE_EXTRAS[key] = extra


def message_extras(messages: list[Message]) -> dict[int, dict[str, Any]]:
    """{message pk: {key: value}} from every registered extra, one call each for the whole
    list (never one per message); a message no extra speaks of is absent."""
    messages = list(messages)
    found: dict[int, dict[str, Any]] = {}
    if not messages:
        return found
    for extra in _MESSAGE_EXTRAS.values():
        for pk, value in extra.fn(messages).items():
            found.setdefault(pk, {})[extra.key] = value
    return found


def ticket_thread(*, ticket: Ticket) -> list[Message]:
    """The thread, oldest first, each message with its attachments (prefetched), `extras`
    ({key: value}) and `extra_blocks` (the registered templates to show, with their value),
    in a fixed number of queries however long the thread."""
    messages = list(ticket_messages(ticket=ticket).prefetch_related("attachments"))
    attach_message_extras(messages)
    return messages


def attach_message_extras(messages: list[Message]) -> list[Message]:
    extras = message_extras(messages)
    for message in messages:
        message.extras = extras.get(message.pk, {})
        message.extra_blocks = [
            {"template": extra.template, "value": message.extras[key]}
            for key, extra in _MESSAGE_EXTRAS.items()
            if extra.template and key in message.extras
        ]
    return messages


def request_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    """The files that came with the ticket's first request (no message of their own)."""
    return ticket.attachments.filter(message__isnull=True).order_by("id")


def access_attachment(*, user, attachment_id: int) -> Attachment:
    """The attachment if `user` may see its ticket (same rule as access_ticket); 404
    otherwise, so neither it nor its ticket is revealed."""
    try:
        return Attachment.objects.select_related("ticket").get(
            pk=attachment_id, ticket__in=visible_tickets(user=user)
        )
    except Attachment.DoesNotExist:
        raise Http404(_("附件不存在。")) from None


# Models whose rows share their ticket's id and whose history is the ticket's, with when
# they apply; registered from their apps' AppConfig.ready() (tickets cannot import them).
_HISTORY_MODELS: dict[str, tuple[type, Callable[[Ticket], bool]]] = {}


def register_history_model(model: type, *, applies: Callable[[Ticket], bool]) -> None:
    _HISTORY_MODELS[model._meta.label] = (model, applies)


def ticket_history(*, ticket: Ticket) -> QuerySet[AuditEntry]:
    """The ticket's history, with that of the records that share the ticket's id (its
    complaint record), which their apps register with register_history_model."""
    models = [Ticket, *(model for model, applies in _HISTORY_MODELS.values() if applies(ticket))]
    content_types = ContentType.objects.get_for_models(*models, for_concrete_models=True)
    return AuditEntry.objects.filter(
        content_type__in=content_types.values(), object_id=ticket.pk
    ).select_related("actor", "content_type")
