"""What notify holds of a customer (the notifications sent them, their opt-out), for the
personal-data export and erasure (customers.holders)."""

from huitou.customers.holders import PersonalDataHolder, model_rows, register_holder
from huitou.customers.models import Customer

from .models import Notification, NotificationOptOut


def export(customer: Customer) -> list[dict]:
    notifications = Notification.objects.filter(ticket__customer=customer).order_by(
        "created_at", "pk"
    )
    opt_outs = NotificationOptOut.objects.filter(customer=customer)
    return [
        *({"opt_out": row} for row in model_rows(opt_outs)),
        *model_rows(notifications),
    ]


def do_notifications_erase(*, actor, customer: Customer) -> int:
    """The address and text of each notification name the person: both are cleared (the row
    stays, so the ticket's record still shows that one was sent). The opt-out stays too: an
    erased customer must not start receiving notifications again."""
    rows = Notification.objects.filter(ticket__customer=customer)
    # A text still waiting would go to nobody: it is not sent at all.
    rows.filter(status__in=[Notification.Status.PENDING, Notification.Status.SENDING]).filter(
        channel="sms"
    ).update(status=Notification.Status.FAILED, next_attempt_at=None, last_error="erased")
    return rows.exclude(recipient="", subject="", body="").update(recipient="", subject="", body="")


def register() -> None:
    register_holder(
        PersonalDataHolder(name="notifications", export=export, erase=do_notifications_erase)
    )
