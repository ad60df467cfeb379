from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_changes, do_audit_record
from huitou.core.errors import DomainError
from huitou.core.numbering import next_number
from huitou.core.permissions import check_permission

from .models import Customer, CustomerKind, Gender, Stage, Tier
from .phones import is_possible_phone, phone_digits

CUSTOMER_NUMBER_PREFIX = "C"
EDITABLE_FIELDS = (
    "name",
    "phone",
    "email",
    "kind",
    "tier",
    "stage",
    "is_internal",
    "gender",
    "city",
    "address",
    "note",
)


def _check_choice(value: Any, choices, field: str) -> str:
    if value not in choices.values:
        raise DomainError(
            _("%(field)s 必须是 %(choices)s 之一。")
            % {"field": field, "choices": ", ".join(str(v) for v in choices.values if v)},
            field=field,
        )
    return value


def check_customer_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise the customer fields present in `data`; raise on the first error."""
    cleaned = dict(data)
    if "name" in cleaned:
        name = (cleaned["name"] or "").strip()
        if not name:
            raise DomainError(_("客户名称不能为空。"), field="name")
        if len(name) > 100:
            raise DomainError(_("客户名称不能超过 100 个字符。"), field="name")
        cleaned["name"] = name
    if "phone" in cleaned:
        phone = (cleaned["phone"] or "").strip()
        if phone and not is_possible_phone(phone):
            raise DomainError(_("电话号码格式不正确。"), field="phone")
        cleaned["phone"] = phone
    if "email" in cleaned:
        email = (cleaned["email"] or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise DomainError(_("电子邮件地址格式不正确。"), field="email") from None
        cleaned["email"] = email
    for field, choices in (
        ("kind", CustomerKind),
        ("tier", Tier),
        ("stage", Stage),
        ("gender", Gender),
    ):
        if field in cleaned:
            cleaned[field] = _check_choice(cleaned[field] or "", choices, field)
    if "is_internal" in cleaned and not isinstance(cleaned["is_internal"], bool):
        raise DomainError(_("内部客户必须是 true 或 false。"), field="is_internal")
    for field in ("city", "address", "note"):
        if field in cleaned:
            cleaned[field] = (cleaned[field] or "").strip()
    return cleaned


@transaction.atomic
def do_customer_create(*, actor, **fields: Any) -> Customer:
    check_permission(actor, "customers.add_customer")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("未知字段。"), field=sorted(unknown)[0])
    fields.setdefault("name", "")
    cleaned = check_customer_fields(fields)
    customer = Customer(
        number=next_number(prefix=CUSTOMER_NUMBER_PREFIX),
        created_by=actor if actor and actor.is_authenticated else None,
        **cleaned,
    )
    customer.phone_digits = phone_digits(customer.phone)
    customer.save()
    do_audit_record(obj=customer, actor=actor, action="created", new=customer.number)
    return customer


@transaction.atomic
def do_customer_update(*, actor, customer: Customer, changes: dict[str, Any]) -> Customer:
    check_permission(actor, "customers.change_customer")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("该字段不可修改。"), field=sorted(unknown)[0])
    cleaned = check_customer_fields(changes)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    diffs = []
    for field, new in cleaned.items():
        old = getattr(customer, field)
        if old != new:
            diffs.append((field, old, new))
            setattr(customer, field, new)
    if diffs:
        customer.phone_digits = phone_digits(customer.phone)
        customer.save()
        do_audit_changes(obj=customer, actor=actor, changes=diffs)
    return customer


def find_customer_by_phone(*, phone: str) -> Customer | None:
    digits = phone_digits(phone)
    if not digits:
        return None
    return Customer.objects.filter(phone_digits=digits).order_by("created_at").first()
