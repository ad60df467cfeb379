import re
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from huitou.accounts.scope import scope_to_department
from huitou.core.errors import check_text
from huitou.core.models import AuditEntry
from huitou.core.permissions import check_permission
from huitou.customers.phones import phone_digits

from .models import DONE_STATUSES, Message, Ticket

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
