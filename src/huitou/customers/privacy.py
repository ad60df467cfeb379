"""Personal information (PIPL, 个人信息保护法): who sees a customer's contact data in full,
masking for everyone else, a reveal on a click, and the record of every access.

Who holds which permission is in huitou.accounts.roles:
- ``customers.view_personal_data`` — the desk (agents, supervisors) and admins: full values;
- ``customers.reveal_personal_data`` — QA inspectors and department handlers: masked values,
  one field revealed on a click, and every reveal recorded;
- managers: masked values only;
- ``customers.manage_personal_data`` — supervisors and admins: a customer's request to see,
  copy or delete their data, and the access record.

Masking is done here only: pages use the ``{% personal %}`` tag (templatetags/privacy_tags),
the API uses `shown_value`. Every view of full data on a customer's page or API record, every
reveal, export, deletion and anonymisation writes a `PersonalDataAccess` row.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError
from huitou.core.permissions import check_permission

from .models import Customer, PersonalDataAccess
from .phones import phone_digits

Action = PersonalDataAccess.Action

# The fields that are masked, and how.
PERSONAL_FIELDS = ("phone", "email", "id_number")
MASKED_TICKET_FIELDS = {"contact_phone": "phone", "contact_email": "email"}


def mask_phone(value: str) -> str:
    """13800138000 → 138****8000; a short number keeps only its last two digits."""
    digits = phone_digits(value or "")
    if not digits:
        return ""
    if len(digits) >= 8:
        return f"{digits[:3]}****{digits[-4:]}"
    return f"****{digits[-2:]}"


def mask_id_number(value: str) -> str:
    """110101199003071234 → 110***********1234: the first three and last four stay."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) >= 8:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "****"


def mask_email(value: str) -> str:
    """zhang.wei@example.com → z***@example.com."""
    value = (value or "").strip()
    if not value:
        return ""
    local, at, domain = value.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


MASKS = {"phone": mask_phone, "email": mask_email, "id_number": mask_id_number}


def mask_value(kind: str, value: str) -> str:
    return MASKS[kind](value)


def sees_personal_data(user) -> bool:
    return bool(user and user.has_perm("customers.view_personal_data"))


def can_reveal(user) -> bool:
    return sees_personal_data(user) or bool(
        user and user.has_perm("customers.reveal_personal_data")
    )


def shown_value(user, kind: str, value: str) -> str:
    """What `user` is shown of a phone, e-mail or ID number: the value or its mask."""
    if not value or sees_personal_data(user):
        return value or ""
    return mask_value(kind, value)


def check_privacy_requests(user) -> None:
    """A customer's request to see, copy or delete their data; the access record."""
    check_permission(user, "customers.manage_personal_data")


def do_access_record(
    *,
    actor,
    action: str,
    customer: Customer | None = None,
    fields: Iterable[str] = (),
    channel: str = "",
    detail: dict | None = None,
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        customer=customer,
        action=action,
        fields=list(fields),
        channel=channel,
        detail=detail or {},
    )


def do_view_record(*, actor, customer: Customer, channel: str) -> PersonalDataAccess | None:
    """A person who sees full values opened the customer's record: which fields were shown."""
    if not sees_personal_data(actor):
        return None
    shown = [name for name in PERSONAL_FIELDS if getattr(customer, name)]
    if not shown:
        return None
    return do_access_record(
        actor=actor, action=Action.VIEW, customer=customer, fields=shown, channel=channel
    )


def do_bulk_export_record(
    *, actor, customers, channel: str, fmt: str, filters: dict | None = None
) -> PersonalDataAccess:
    """An export of many customers' records (the list's CSV/XLSX, `huitou export`)."""
    filters = {key: str(value) for key, value in (filters or {}).items() if value not in ("", None)}
    return do_access_record(
        actor=actor,
        action=Action.EXPORT,
        fields=[*PERSONAL_FIELDS, "name", "address"],
        channel=channel,
        detail={"customers": customers.count(), "format": fmt, "filters": filters},
    )


@transaction.atomic
def do_personal_data_reveal(
    *, actor, customer: Customer, fields: Iterable[str], channel: str
) -> dict[str, str]:
    """The full values of `fields` for someone allowed to reveal them; recorded."""
    fields = list(dict.fromkeys(fields))
    if not fields:
        raise DomainError(_("请选择要显示的字段。"), field="fields")
    unknown = [name for name in fields if name not in PERSONAL_FIELDS]
    if unknown:
        raise DomainError(_("无法显示该字段：%(field)s。") % {"field": unknown[0]}, field="fields")
    if not can_reveal(actor):
        check_permission(actor, "customers.reveal_personal_data")
    do_access_record(
        actor=actor, action=Action.REVEAL, customer=customer, fields=fields, channel=channel
    )
    return {name: getattr(customer, name) for name in fields}


def access_records(*, user, customer: str = "", actor: str = "", action: str = ""):
    """The access record, newest first, for supervisors and admins."""
    check_privacy_requests(user)
    records = PersonalDataAccess.objects.select_related("actor", "customer")
    customer = (customer or "").strip()
    if customer:
        records = records.filter(customer__number__iexact=customer)
    actor = (actor or "").strip()
    if actor:
        records = records.filter(actor__username__iexact=actor)
    if action:
        records = records.filter(action=action)
    return records
