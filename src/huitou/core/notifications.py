"""The notification centre: in-app messages, copied by e-mail through Django's mail backend."""

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notification

_emails_muted = contextvars.ContextVar("notification_emails_muted", default=False)


@contextmanager
def notification_emails_muted() -> Iterator[None]:
    """In-app notifications only, no e-mail: for loading demo or historical data."""
    token = _emails_muted.set(True)
    try:
        yield
    finally:
        _emails_muted.reset(token)


def do_notify(
    *, recipients: Iterable, kind: str, title: str, body: str = "", url: str = ""
) -> list[Notification]:
    """One notification per distinct active recipient; e-mails go out after commit."""
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, title=title[:200], body=body, url=url))
    created = Notification.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.recipient.email]
    if ids and not _emails_muted.get():
        from .tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails(ids))
    return created


def do_notification_emails_send(*, notification_ids: list[int]) -> int:
    """Mail each notification to its recipient. Safe to repeat: a task retried after a crash
    may send twice, which is better than losing a major-complaint alert."""
    sent = 0
    base = settings.SITE_URL.rstrip("/")
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related(
        "recipient"
    ):
        if not notification.recipient.email:
            continue
        link = f"\n\n{base}{notification.url}" if notification.url else ""
        send_mail(
            subject=f"[回头] {notification.title}",
            message=f"{notification.body}{link}",
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
        sent += 1
    return sent


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
