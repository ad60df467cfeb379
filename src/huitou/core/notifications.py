"""The notification centre: in-app messages, copied by e-mail through the outbox."""

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .events import EventTable, Phase, Slot
from .models import Notification
from .outbox import do_outbox_add


@dataclass(frozen=True)
class NotificationsCreated:
    """Notifications were saved (their recipients' counts changed)."""

    notifications: tuple[Notification, ...]


NOTIFICATION_EVENTS = EventTable(
    {
        NotificationsCreated: (
            Slot(
                "chat.live",
                Phase.ON_COMMIT,
                "the recipient's unread count on their open pages; a major complaint rings",
            ),
        ),
    }
)

_emails_muted = contextvars.ContextVar("notification_emails_muted", default=False)


@contextmanager
def notification_emails_muted() -> Iterator[None]:
    """In-app notifications only, no e-mail: for loading demo or historical data."""
    token = _emails_muted.set(True)
    try:
        yield
    finally:
        _emails_muted.reset(token)


@transaction.atomic
def do_notify(
    *, recipients: Iterable, kind: str, title: str, body: str = "", url: str = ""
) -> list[Notification]:
    """One notification per distinct active recipient, and its e-mail in the outbox in the
    same transaction: the e-mail exists exactly when the notification does."""
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, title=title[:200], body=body, url=url))
    created = Notification.objects.bulk_create(rows)
    if not _emails_muted.get():
        for notification in created:
            _queue_email(notification)
    if created:
        NOTIFICATION_EVENTS.emit(NotificationsCreated(notifications=tuple(created)))
    return created


def _queue_email(notification: Notification) -> None:
    base = settings.SITE_URL.rstrip("/")
    link = f"\n\n{base}{notification.url}" if notification.url else ""
    do_outbox_add(
        to=[notification.recipient.email],
        subject=f"[回头] {notification.title}",
        body=f"{notification.body}{link}",
        kind="notification",
        key=f"notification:{notification.pk}",
    )


@transaction.atomic
def do_notification_emails_queue(*, notification_ids: list[int]) -> int:
    """Put these notifications' e-mails in the outbox (again: the key makes it a no-op)."""
    count = 0
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related(
        "recipient"
    ):
        if notification.recipient.email:
            _queue_email(notification)
            count += 1
    return count


def do_notification_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, all) of `user`'s notifications read."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(recipient=user, pk=notification_id).exists():
            raise Http404(_("通知不存在。"))
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def user_notifications(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def unread_notification_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
