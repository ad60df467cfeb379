"""The customer portal's reads: which tickets a visitor may see, and what of them.

A scope is either a signed-in customer (their record, the records merged into it, and the
tickets whose contact they proved) or one guest ticket (its private link). Everything a
portal page shows goes through `scope_tickets`, so another customer's ticket is a 404."""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from huitou.customers.models import Customer
from huitou.tickets.models import Attachment, ContactStatus, Status, Ticket
from huitou.tickets.selectors import ticket_thread

from .models import SignInCode

SESSION_KEY = "huitou_portal"  # {"customer": pk, "channel": ..., "to": destination}

PAGE_SIZE = 20
# Channels whose ticket description and first files are the customer's own words (the web
# form, their e-mail). A phone ticket's description is the agent's summary: not shown.
CUSTOMER_WRITTEN = ("web", "email")

# The status as the customer should read it (staff words like 等待客户 mean nothing to them).
CUSTOMER_STATUS = {
    Status.NEW: _("已受理"),
    Status.OPEN: _("处理中"),
    Status.PENDING: _("等待您的回复"),
    Status.RESOLVED: _("已解决"),
    Status.CLOSED: _("已关闭"),
}


@dataclass(frozen=True)
class PortalScope:
    customer_id: int | None = None  # the live record signed in as
    customer_ids: tuple[int, ...] = ()
    channel: str = ""
    destination: str = ""
    guest_ticket_id: int | None = None
    label: str = field(default="")


def customer_scope(customer_id: int, *, channel: str, destination: str) -> PortalScope | None:
    """The scope of a signed-in customer: the live record the session names, and the
    records merged into it (at any depth). A record merged away since sign-in resolves to
    its survivor."""
    customer = Customer.objects.filter(pk=customer_id).first()
    seen: set[int] = set()
    while customer is not None and customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.filter(pk=customer.merged_into_id).first()
    if customer is None:
        return None
    ids, frontier = {customer.pk}, [customer.pk]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.update(frontier)
    return PortalScope(
        customer_id=customer.pk,
        customer_ids=tuple(sorted(ids)),
        channel=channel,
        destination=destination,
        label=customer.name,
    )


def session_scope(session) -> PortalScope | None:
    """The signed-in customer's scope from a session (None when nobody is signed in)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("customer"), int):
        return None
    return customer_scope(
        data["customer"], channel=data.get("channel", ""), destination=data.get("to", "")
    )


def guest_scope(ticket: Ticket) -> PortalScope:
    return PortalScope(guest_ticket_id=ticket.pk, label=ticket.number)


def scope_tickets(scope: PortalScope) -> QuerySet[Ticket]:
    if scope.guest_ticket_id is not None:
        return Ticket.objects.filter(pk=scope.guest_ticket_id)
    mine = Q(customer_id__in=scope.customer_ids)
    proven = Q(contact_status=ContactStatus.VERIFIED)
    if scope.channel == SignInCode.Channel.EMAIL and scope.destination:
        mine |= proven & Q(contact_email__iexact=scope.destination)
    elif scope.channel == SignInCode.Channel.SMS and scope.destination:
        mine |= proven & Q(contact_phone=scope.destination)
    return Ticket.objects.filter(mine)


def promised(ticket: Ticket):
    """The date promised to the customer: a complaint's promised reply date, else the SLA's
    resolution due time (None when neither applies or the ticket is done)."""
    complaint = getattr(ticket, "complaint", None)
    if complaint is not None and complaint.promised_date:
        return complaint.promised_date
    sla = getattr(ticket, "sla", None)
    if sla is not None and ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return sla.resolution_due
    return None


def _dress(ticket: Ticket) -> Ticket:
    ticket.customer_status = CUSTOMER_STATUS.get(ticket.status, ticket.get_status_display())
    ticket.promised = promised(ticket)
    ticket.customer_text = ticket.description if ticket.channel in CUSTOMER_WRITTEN else ""
    return ticket


def portal_ticket_page(scope: PortalScope, *, page: str | int | None):
    """我的工单: newest first, a page at a time."""
    tickets = scope_tickets(scope).select_related("sla", "complaint").order_by("-created_at", "-id")
    found = Paginator(tickets, PAGE_SIZE).get_page(page)
    for ticket in found.object_list:
        _dress(ticket)
    return found


def portal_ticket(scope: PortalScope, ticket_id: int) -> Ticket:
    ticket = scope_tickets(scope).select_related("sla", "complaint").filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404(_("工单不存在。"))
    return _dress(ticket)


def public_thread(ticket: Ticket) -> list:
    """The thread the customer may read: public messages only, never an internal note."""
    return [message for message in ticket_thread(ticket=ticket) if message.public]


def portal_attachment(ticket: Ticket, attachment_id: int) -> Attachment:
    """A file of this ticket that the customer may see: one with the request, or on a
    public message; 404 for anything else (a file on an internal note)."""
    shown = Q(message__public=True)
    if ticket.channel in CUSTOMER_WRITTEN:
        shown |= Q(message__isnull=True)
    attachment = Attachment.objects.filter(shown, pk=attachment_id, ticket=ticket).first()
    if attachment is None:
        raise Http404(_("附件不存在。"))
    return attachment


def request_files(ticket: Ticket) -> QuerySet[Attachment]:
    if ticket.channel not in CUSTOMER_WRITTEN:
        return Attachment.objects.none()
    return ticket.attachments.filter(message__isnull=True).order_by("id")
