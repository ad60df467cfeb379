"""Reads of the e-mail channel: mailboxes, the mail already stored, the ticket a reply answers."""

import re
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.permissions import check_admin
from huitou.customers.models import Customer
from huitou.tickets.models import Ticket

from .models import InboundMail, Mailbox, OutgoingMail

# A ticket number in brackets in a subject: [T2026000123], 【T2026000123】, (T2026000123).
SUBJECT_NUMBER = re.compile(r"[\[【(（]\s*(T\d{10,12})\s*[\]】)）]", re.IGNORECASE)


def mailbox_list(*, user) -> QuerySet[Mailbox]:
    check_admin(user)
    return Mailbox.objects.select_related("department").order_by("address")


def access_mailbox(*, user, mailbox_id: int) -> Mailbox:
    check_admin(user)
    mailbox = Mailbox.objects.select_related("department").filter(pk=mailbox_id).first()
    if mailbox is None:
        raise Http404(_("邮箱不存在。"))
    return mailbox


def mailbox_for_address(address: str) -> Mailbox | None:
    """The active mailbox customers reach at `address` (case does not matter in addresses)."""
    address = (address or "").strip()
    if not address:
        return None
    return Mailbox.objects.filter(active=True, address__iexact=address).first()


def is_own_address(address: str) -> bool:
    """True for any address of ours, active or not: mail from it is our own mail coming back
    (a forward, a mis-set autoresponder), answering it would loop."""
    address = (address or "").strip()
    return bool(address) and Mailbox.objects.filter(address__iexact=address).exists()


def stored_inbound(*, mailbox: Mailbox, message_id: str) -> InboundMail | None:
    return (
        InboundMail.objects.select_related("ticket", "ticket_message")
        .filter(mailbox=mailbox, message_id=message_id)
        .first()
    )


def recent_from_sender(*, address: str, now=None) -> int:
    """How many mails from `address` became tickets or messages within the flood window (in
    every mailbox: a flood to two of our addresses is still one flood)."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.HUITOU_MAIL_FLOOD_WINDOW_SECONDS)
    return InboundMail.objects.filter(
        from_address__iexact=address,
        received_at__gte=since,
        outcome__in=(InboundMail.Outcome.NEW_TICKET, InboundMail.Outcome.REPLY),
    ).count()


def _id_forms(message_ids) -> set[str]:
    """Each Message-ID with and without its angle brackets: mail programs copy them either way."""
    forms = set()
    for value in message_ids:
        bare = (value or "").strip().strip("<>").strip()
        if bare:
            forms.update({bare, f"<{bare}>"})
    return forms


def ticket_for_references(*, mailbox: Mailbox, message_ids) -> Ticket | None:
    """The ticket a reply names in In-Reply-To/References: one of the replies we sent, or a
    mail of this mailbox that went to a ticket. The newest match wins (References lists the
    thread oldest first, and In-Reply-To is the newest)."""
    forms = _id_forms(message_ids)
    if not forms:
        return None
    sent = (
        OutgoingMail.objects.filter(message_id__in=forms)
        .select_related("ticket_message__ticket")
        .order_by("-created_at", "-id")
        .first()
    )
    if sent is not None:
        return sent.ticket_message.ticket
    received = (
        InboundMail.objects.filter(mailbox=mailbox, message_id__in=forms, ticket__isnull=False)
        .select_related("ticket")
        .order_by("-received_at", "-id")
        .first()
    )
    return received.ticket if received else None


def ticket_for_subject(*, subject: str, sender: str) -> Ticket | None:
    """The ticket whose number the subject names in brackets, only when `sender` is that
    ticket's customer or contact. Anyone can type a ticket number into a subject: a mail from
    someone else must never land in (and later be shown on) another customer's ticket, so it
    makes a ticket of its own instead."""
    match = SUBJECT_NUMBER.search(subject or "")
    if not match or not sender:
        return None
    ticket = Ticket.objects.select_related("customer").filter(number=match.group(1).upper()).first()
    if ticket is None:
        return None
    known = {(ticket.contact_email or "").lower(), (ticket.customer.email or "").lower()}
    return ticket if sender.lower() in known else None


def customer_by_email(address: str) -> Customer | None:
    """The oldest live customer record with this address (merged and erased ones excluded)."""
    if not address:
        return None
    return (
        Customer.objects.filter(
            Q(email__iexact=address), merged_into__isnull=True, anonymised_at__isnull=True
        )
        .order_by("created_at", "id")
        .first()
    )
