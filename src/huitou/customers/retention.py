"""A customer's personal data erased (on request, or when the retention schedule says so) and
copied out on request (PIPL 查阅/复制/删除).

Erasure is anonymisation, not deletion: the row, its number, tier, stage, tickets, complaints
and purchases stay, so statistics and the audit keep adding up; what identifies the person
(name, phone, e-mail, ID number, address, notes, external id, the tickets' copies of the
contact, and those values in the change history) is cleared. Each erasure and export is
recorded in PersonalDataAccess.
"""

import json
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_text
from huitou.core.models import AuditEntry

from .holders import holders, model_rows
from .models import Customer, PersonalDataAccess, Transaction, WinBackFollowUp
from .privacy import check_privacy_requests, do_access_record

Action = PersonalDataAccess.Action

# Cleared on anonymisation (the name gets a placeholder, external_id becomes NULL).
ERASED_FIELDS = (
    "phone",
    "phone_digits",
    "email",
    "id_number",
    "address",
    "note",
    "hobbies",
    "needs",
    "loss_note",
)
# Their values also leave the customer's change history.
HISTORY_FIELDS = ("name", *ERASED_FIELDS, "external_id")


def anonymous_name(customer: Customer) -> str:
    return _("已匿名客户 #%(id)s") % {"id": customer.pk}


def _erase(customer: Customer, *, actor, now: datetime) -> int:
    """Clear one record's personal data and what other apps hold of it (customers.holders);
    returns the tickets whose contact was cleared (the count the erasure reports)."""
    for name in ERASED_FIELDS:
        setattr(customer, name, "")
    customer.name = anonymous_name(customer)
    customer.external_id = None
    customer.anonymised_at = now
    customer.save(update_fields=[*ERASED_FIELDS, "name", "external_id", "anonymised_at"])
    WinBackFollowUp.objects.filter(customer=customer).exclude(note="").update(note="")
    AuditEntry.objects.for_object(customer).filter(field__in=HISTORY_FIELDS).update(
        old_value="", new_value=""
    )
    do_audit_record(obj=customer, actor=actor, action="anonymised")
    changed = {
        holder.name: holder.erase(actor=actor, customer=customer)
        for holder in holders()
        if holder.erase
    }
    return changed.get("tickets", 0)


@transaction.atomic
def do_customer_anonymise(
    *, actor, customer: Customer, action: str, channel: str, reason: str = ""
) -> dict:
    """Erase the personal data of `customer` and of the duplicates merged into it."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.anonymised_at is not None:
        raise ConflictError(_("该客户的个人信息已经匿名化。"), field="customer")
    now = timezone.now()
    records = [customer, *Customer.objects.filter(merged_into=customer, anonymised_at=None)]
    tickets = sum(_erase(record, actor=actor, now=now) for record in records)
    summary = {"customers": len(records), "tickets": tickets}
    if reason:
        summary["reason"] = reason
    do_access_record(
        actor=actor,
        action=action,
        customer=customer,
        fields=["name", *ERASED_FIELDS[:4], "address", "contact"],
        channel=channel,
        detail=summary,
    )
    return summary


def do_customer_erase_on_request(*, actor, customer: Customer, reason: str, channel: str) -> dict:
    """删除 on the customer's request (supervisors and admins; `actor` None is the operator
    at the command line): anonymisation, recorded."""
    if actor is not None:
        check_privacy_requests(actor)
    reason = check_text((reason or "").strip(), field="reason", max_length=200)
    if not reason:
        raise DomainError(_("请说明客户的请求。"), field="reason")
    return do_customer_anonymise(
        actor=actor, customer=customer, action=Action.DELETE, channel=channel, reason=reason
    )


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def inactive_customers(*, cutoff: datetime) -> models.QuerySet[Customer]:
    """Customers with no ticket activity, purchase or follow-up since `cutoff`, no open
    ticket, and not yet anonymised."""
    recent_purchase = Transaction.objects.filter(customer=OuterRef("pk"), occurred_at__gte=cutoff)
    recent_follow_up = WinBackFollowUp.objects.filter(
        customer=OuterRef("pk"), created_at__gte=cutoff
    )
    customers = (
        Customer.objects.filter(
            merged_into__isnull=True, anonymised_at__isnull=True, created_at__lt=cutoff
        )
        .exclude(Exists(recent_purchase))
        .exclude(Exists(recent_follow_up))
    )
    for holder in holders():  # recent tickets, open work
        if holder.active_customers is not None:
            customers = customers.exclude(pk__in=holder.active_customers(cutoff))
    return customers.order_by("pk")


def do_retention_run(*, now: datetime | None = None, dry_run: bool = False) -> dict:
    """Apply the retention schedule; a dry run only says what it would do.

    Attachments: tickets keep none (there is no attachment model), so there is nothing of
    that kind to expire; the tickets' own copies of the contact go with the customer's data.
    """
    now = now or timezone.now()
    years = settings.CUSTOMER_INACTIVE_RETENTION_YEARS
    report = {"dry_run": dry_run, "years": years, "cutoff": None, "customers": [], "tickets": 0}
    if years <= 0:
        return report
    cutoff = _years_before(now, years)
    report["cutoff"] = cutoff.isoformat()
    candidates = list(inactive_customers(cutoff=cutoff))
    report["customers"] = [c.number for c in candidates]
    if dry_run:
        return report
    for customer in candidates:
        summary = do_customer_anonymise(
            actor=None,
            customer=customer,
            action=Action.ANONYMISE,
            channel="retention",
            reason=_("%(years)s 年无往来") % {"years": years},
        )
        report["tickets"] += summary["tickets"]
    do_access_record(
        actor=None,
        action=Action.ANONYMISE,
        channel="retention",
        detail={
            "cutoff": report["cutoff"],
            "customers": len(candidates),
            "tickets": report["tickets"],
        },
    )
    return report


def personal_data_export(*, actor, customer: Customer, channel: str) -> bytes:
    """查阅/复制: everything kept about the customer, as JSON (supervisors and admins).

    The archive record, purchases, tags, tickets with their public messages (internal notes
    are the staff's working notes, not the customer's data) and complaints. Recorded.
    `actor` None is the operator at the command line."""
    if actor is not None:
        check_privacy_requests(actor)
    data = {
        "generated_at": timezone.now(),
        "customer": model_rows(Customer.objects.filter(pk=customer.pk))[0],
        "transactions": model_rows(customer.transactions.order_by("occurred_at", "pk")),
        "tags": [link.tag.name for link in customer.tag_links.select_related("tag")],
    }
    for holder in holders():  # tickets with their public messages, complaints
        if holder.export is not None:
            data[holder.name] = holder.export(customer)
    do_access_record(
        actor=actor,
        action=Action.EXPORT,
        customer=customer,
        fields=["archive", "transactions", "tickets", "messages", "complaints"],
        channel=channel,
        detail={"tickets": len(data.get("tickets", [])), "format": "json"},
    )
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
