"""Telling customers how their ticket is going (进度通知), by the channel they used.

Each event (received, a public reply, dispatched with the promised date, resolved,
reopened) fills the active template for it and queues one notification in the ticket's own
transaction (notify.progress in tickets.events), so it exists exactly when the change does:
an e-mail joins core's outbox (sent once, keyed "notify:<event>:<ticket>:<n>"), a text
message waits in its Notification row for the worker (notify.tasks), because the SMS
backends (huitou.sms) send synchronously and a gateway must not hold a ticket's
transaction open.

Which channel: an e-mail ticket is answered by e-mail; a phone ticket by text message when
HUITOU_NOTIFY_SMS is on; any other ticket (portal, chat, API) by e-mail when there is an
address, else by text message. A contact the customer typed and never proved (an unverified
portal contact) is never written to: anyone could type anyone's address. A customer who
opted out of a channel is tried on the next; one who opted out of all gets nothing. Replies
on e-mail tickets are mail's (the reply itself is the e-mail) and ignore opt-outs.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.outbox import backoff, do_outbox_add
from huitou.customers.models import Customer
from huitou.mail.models import InboundMail, Mailbox
from huitou.mail.outgoing import TRANSPORT_PREFIX, sender
from huitou.sms.models import Purpose
from huitou.sms.services import SmsError, SmsLimited, send_sms
from huitou.tickets.models import Channel, ContactStatus, Message, Ticket

from .content import fill
from .models import Event, Notification, NotificationOptOut, NotificationTemplate, NotifyChannel

logger = logging.getLogger(__name__)
Status = Notification.Status
OUTBOX_KIND = "notify"
UNSUBSCRIBE_SALT = "huitou.notify.unsubscribe"


# --- unsubscribe links -----------------------------------------------------------------------
def unsubscribe_token(customer: Customer) -> str:
    """Signed, without expiry: a link in an old notification must still unsubscribe, and it
    can do nothing else."""
    return signing.dumps(customer.pk, salt=UNSUBSCRIBE_SALT)


def customer_for_token(token: str) -> Customer | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Customer.objects.filter(pk=pk).first()


def unsubscribe_link(customer: Customer) -> str:
    path = reverse("notify:unsubscribe", args=[unsubscribe_token(customer)])
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def do_notifications_opt_out(*, customer: Customer, channel: str = "", actor=None):
    """Stop progress notifications to `customer` by `channel` ("" = every channel). Opting
    out of one channel after another (or of all) widens the opt-out to every channel."""
    if channel and channel not in NotifyChannel.values:
        channel = ""
    opt_out, created = NotificationOptOut.objects.select_for_update().get_or_create(
        customer=customer, defaults={"channel": channel}
    )
    if not created and opt_out.channel and opt_out.channel != channel:
        opt_out.channel = ""
        opt_out.save(update_fields=["channel"])
    if created or not opt_out.channel:
        do_audit_record(
            obj=customer, actor=actor, action="notifications_opted_out", new=opt_out.channel
        )
    return opt_out


def opted_out_channels(customer: Customer) -> set[str]:
    row = NotificationOptOut.objects.filter(customer=customer).first()
    if row is None:
        return set()
    return {row.channel} if row.channel else set(NotifyChannel.values)


# --- where a notification goes ---------------------------------------------------------------
def sms_enabled() -> bool:
    return settings.HUITOU_NOTIFY_SMS


def destinations(ticket: Ticket) -> list[tuple[str, str]]:
    """(channel, address) in the order they are tried for this ticket."""
    customer = ticket.customer
    proven = ticket.contact_status != ContactStatus.UNVERIFIED
    email = (ticket.contact_email if proven else "") or customer.email
    phone = (ticket.contact_phone if proven else "") or customer.phone
    sms = [(NotifyChannel.SMS, phone)] if sms_enabled() and phone else []
    if ticket.channel == Channel.EMAIL:
        return [(NotifyChannel.EMAIL, email)] if email else []
    if ticket.channel == Channel.PHONE:
        return sms
    return ([(NotifyChannel.EMAIL, email)] if email else []) + sms


# do_progress_notify's `mailbox` when the caller has not looked it up.
LOOK_UP = object()


def ticket_mailbox(ticket: Ticket) -> Mailbox | None:
    """The mailbox an e-mail ticket came in by (None for any other ticket). While the mail
    that opens it is being ingested its InboundMail does not point at it yet: a new-ticket
    mail without a ticket is only ever visible inside the transaction storing it (it gets
    one before commit), found by its sender (indexed: mail_inbound_sender)."""
    if ticket.channel != Channel.EMAIL:
        return None
    related = ("mailbox", "mailbox__department")  # the From names the department
    inbound = InboundMail.objects.filter(ticket=ticket).select_related(*related).first()
    if inbound is None and ticket.contact_email:
        inbound = (
            InboundMail.objects.filter(
                ticket__isnull=True,
                outcome=InboundMail.Outcome.NEW_TICKET,
                from_address=ticket.contact_email.lower(),
            )
            .select_related(*related)
            .order_by("-pk")
            .first()
        )
    return inbound.mailbox if inbound is not None else None


def _sender(mailbox: Mailbox | None) -> tuple[str, str]:
    """(From, transport): an e-mail ticket's notifications come from its own mailbox, so the
    customer's answer to one lands on the ticket; others from DEFAULT_FROM_EMAIL."""
    if mailbox is None or not mailbox.active:
        return "", ""
    name = mailbox.name or (mailbox.department.name if mailbox.department_id else "")
    return sender(name, mailbox.address), f"{TRANSPORT_PREFIX}:{mailbox.pk}"


def acknowledged_by_mail(mailbox: Mailbox | None) -> bool:
    """A new e-mail ticket whose mailbox (ticket_mailbox) answers automatically: that answer
    says it was received (with the ticket number and the promised time), so notify does not."""
    return mailbox is not None and mailbox.auto_answer


# --- queueing ----------------------------------------------------------------------------------
def _footer(channel: str, link: str) -> str:
    if channel == NotifyChannel.SMS:
        return _("退订通知：%(link)s") % {"link": link}
    return _("这是一封自动发送的工单进度通知。如不想再收到此类通知，请访问：%(link)s") % {
        "link": link
    }


def do_progress_notify(
    *, event: str, ticket: Ticket, message: Message | None = None, mailbox=LOOK_UP
) -> Notification | None:
    """Queue the notification of `event` for `ticket` in the caller's transaction; None when
    there is no active template, no channel the customer can be reached and has not opted
    out of, or nothing to say. `mailbox`: the ticket's (ticket_mailbox), when the caller
    has looked it up already; else it is looked up if an e-mail is sent."""
    blocked = opted_out_channels(ticket.customer)
    templates = {
        row.channel: row for row in NotificationTemplate.objects.filter(event=event, active=True)
    }
    for channel, address in destinations(ticket):
        if channel in blocked or channel not in templates:
            continue
        # The templates are Chinese: so are the words added to them, whatever language the
        # agent whose action this is reads the desk in.
        with translation.override(settings.LANGUAGE_CODE):
            return _queue(
                event=event, ticket=ticket, message=message, template=templates[channel],
                address=address, mailbox=mailbox,
            )  # fmt: skip
    return None


def _queue(*, event, ticket, message, template, address, mailbox) -> Notification:
    count = Notification.objects.filter(ticket=ticket, event=event).count()
    # The ticket is locked by the writer (tickets.funnel), so the count is this event's own.
    key = f"notify:{event}:{ticket.pk}:{message.pk if message is not None else count + 1}"
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing
    filled = fill(subject=template.subject, body=template.body, ticket=ticket, message=message)
    link = unsubscribe_link(ticket.customer)
    body = f"{filled.body.strip()}\n\n{_footer(template.channel, link)}\n"
    notification = Notification(
        key=key,
        ticket=ticket,
        event=event,
        channel=template.channel,
        recipient=address,
        subject=filled.subject,
        body=body if template.channel == NotifyChannel.EMAIL else body.strip(),
    )
    if template.channel == NotifyChannel.EMAIL:
        from_email, transport = _sender(ticket_mailbox(ticket) if mailbox is LOOK_UP else mailbox)
        notification.outbox = do_outbox_add(
            to=[address],
            subject=filled.subject,
            body=body,
            kind=OUTBOX_KIND,
            key=key,
            from_email=from_email,
            transport=transport,
            headers={
                "Auto-Submitted": "auto-generated",  # RFC 3834: auto-responders keep quiet
                "X-Huitou-Ticket": ticket.number,
                "List-Unsubscribe": f"<{link}>",
            },
        )
    else:
        notification.next_attempt_at = timezone.now()
        _kick_sms_after_commit()
    notification.save()
    return notification


def _kick_sms_after_commit() -> None:
    # Imported here: notify.tasks imports this module (its task runs do_sms_deliver).
    from .tasks import deliver_sms_notifications

    transaction.on_commit(deliver_sms_notifications)


# --- text messages -----------------------------------------------------------------------------
def _sms_due(now: datetime) -> Q:
    return Q(channel=NotifyChannel.SMS) & (
        Q(status=Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, claimed_until__lt=now)
    )


def _claim_sms(now: datetime) -> Notification | None:
    """The next due text message, taken with a conditional UPDATE as core's outbox takes
    e-mail: of two workers, only one gets it."""
    lease = timedelta(seconds=settings.HUITOU_OUTBOX_LEASE_SECONDS)
    for _attempt in range(5):
        pk = Notification.objects.filter(_sms_due(now)).order_by("next_attempt_at", "pk")
        pk = pk.values_list("pk", flat=True).first()
        if pk is None:
            return None
        taken = Notification.objects.filter(_sms_due(now), pk=pk).update(
            status=Status.SENDING, claimed_until=now + lease, attempts=F("attempts") + 1
        )
        if taken:
            return Notification.objects.get(pk=pk)
    return None


def do_sms_deliver(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send due text messages through SMS_BACKEND; a failure is retried with the outbox's
    back-off, HUITOU_OUTBOX_MAX_ATTEMPTS times. A worker that dies between the gateway's
    acceptance and the "sent" mark sends that message again once its lease runs out (a text
    has no Message-ID to make the second copy harmless: at least once, never lost)."""
    sent = 0
    while sent < limit:
        moment = now or timezone.now()
        row = _claim_sms(moment)
        if row is None:
            break
        try:
            # The providers send the approved template notify_<event>; other gateways the text.
            send_sms(
                to=row.recipient,
                text=row.body,
                purpose=Purpose.NOTIFICATION,
                template=f"notify_{row.event}",
                params={"number": row.ticket.number},
            )
        except SmsError as error:
            # Over the number's daily limit: by tomorrow the news is stale, so no retry.
            final = isinstance(error, SmsLimited)
            final = final or row.attempts >= settings.HUITOU_OUTBOX_MAX_ATTEMPTS
            Notification.objects.filter(pk=row.pk).update(
                status=Status.FAILED if final else Status.PENDING,
                next_attempt_at=None if final else moment + backoff(row.attempts),
                claimed_until=None,
                last_error=str(error)[:2000],
            )
            continue
        Notification.objects.filter(pk=row.pk).update(
            status=Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
        )
        sent += 1
    return sent


def has_due_sms(*, now: datetime | None = None) -> bool:
    return Notification.objects.filter(_sms_due(now or timezone.now())).exists()


def delivery_state(notification: Notification) -> str:
    """pending | sending | sent | failed: an e-mail's from its outbox row."""
    if notification.outbox_id is not None:
        return notification.outbox.status
    return notification.status


__all__ = [
    "Event",
    "acknowledged_by_mail",
    "customer_for_token",
    "destinations",
    "do_notifications_opt_out",
    "do_progress_notify",
    "do_sms_deliver",
    "ticket_mailbox",
    "unsubscribe_link",
]
