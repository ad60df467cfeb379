from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_changes, do_audit_record
from huitou.core.errors import DomainError, check_choice, check_text
from huitou.core.numbering import next_number
from huitou.core.permissions import check_permission
from huitou.core.schemas import NOTE_MAX

from .events import emit_retiered
from .models import (
    Customer,
    CustomerKind,
    Gender,
    LossReason,
    Stage,
    Tier,
    TierChange,
    TierRule,
    Transaction,
    WinBackFollowUp,
)
from .personality import ListeningStyle, Personality
from .phones import is_valid_phone, phone_digits

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
    "external_id",
    "hobbies",
    "needs",
    "personality",
    "listening_style",
    "has_need",
    "can_pay",
    "has_authority",
    "loss_reason",
    "loss_note",
    "id_number",
)


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
        if phone and not is_valid_phone(phone):
            raise DomainError(
                _("电话号码无效：手机号为 11 位，固定电话要带区号（例如 010-12345678）。"),
                field="phone",
            )
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
        ("personality", Personality),
        ("listening_style", ListeningStyle),
    ):
        if field in cleaned:
            cleaned[field] = check_choice(cleaned[field] or "", choices, field)
    if "is_internal" in cleaned and not isinstance(cleaned["is_internal"], bool):
        raise DomainError(_("内部客户必须是 true 或 false。"), field="is_internal")
    for field in ("city", "address", "note", "hobbies", "needs", "loss_note", "id_number"):
        if field in cleaned:
            cleaned[field] = (cleaned[field] or "").strip()
    if "external_id" in cleaned:
        cleaned["external_id"] = (cleaned["external_id"] or "").strip() or None
    for field in ("has_need", "can_pay", "has_authority"):
        if field in cleaned and cleaned[field] not in (True, False, None):
            raise DomainError(_("只能是 true、false 或 null。"), field=field)
    for name, value in cleaned.items():
        if isinstance(value, str):
            bound = Customer._meta.get_field(name).max_length or NOTE_MAX  # note, needs
            check_text(value, field=name, max_length=bound)
    reason = cleaned.get("loss_reason")
    if reason is not None and not isinstance(reason, LossReason):
        raise DomainError(_("流失原因不存在。"), field="loss_reason")
    return cleaned


def check_external_id_free(external_id: str | None, *, exclude_pk: int | None = None) -> None:
    if (
        external_id
        and Customer.objects.filter(external_id=external_id).exclude(pk=exclude_pk).exists()
    ):
        raise DomainError(_("外部编号已被其他客户使用。"), field="external_id", code="duplicate")


def _apply_stage_rules(customer: Customer, old_stage: str | None) -> None:
    """Lost needs a reason [SPEC §1]; the lost card keeps when it happened."""
    if customer.stage == Stage.LOST:
        if customer.loss_reason_id is None:
            raise DomainError(_("标记为流失客户时必须填写流失原因。"), field="loss_reason")
        if old_stage != Stage.LOST:
            customer.lost_at = timezone.now()
            customer.loss_risk_since = None
    elif old_stage == Stage.LOST:
        # Won back: the old loss stays in the history, the card is cleared.
        customer.lost_at = None
        customer.loss_reason = None
        customer.loss_note = ""


@transaction.atomic
def do_customer_create(*, actor, **fields: Any) -> Customer:
    check_permission(actor, "customers.add_customer")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("未知字段。"), field=sorted(unknown)[0])
    fields.setdefault("name", "")
    cleaned = check_customer_fields(fields)
    check_external_id_free(cleaned.get("external_id"))
    customer = Customer(
        created_by=actor if actor and actor.is_authenticated else None,
        **cleaned,
    )
    _apply_stage_rules(customer, None)
    customer.number = next_number(prefix=CUSTOMER_NUMBER_PREFIX)
    customer.phone_digits = phone_digits(customer.phone)
    customer.save()
    TierChange.objects.create(
        customer=customer,
        tier=customer.tier,
        effective_at=customer.created_at,
        source=TierChange.Source.INITIAL,
        actor=customer.created_by,
    )
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
    check_external_id_free(cleaned.get("external_id"), exclude_pk=customer.pk)
    old_stage, old_tier = customer.stage, customer.tier
    # Stage rules may touch the lost card, so watch it even when not asked to change it.
    tracked = list(dict.fromkeys([*cleaned, "lost_at", "loss_reason", "loss_note"]))
    before = {field: getattr(customer, field) for field in tracked}
    for field, new in cleaned.items():
        setattr(customer, field, new)
    _apply_stage_rules(customer, old_stage)
    diffs = [
        (field, before[field], getattr(customer, field))
        for field in tracked
        if before[field] != getattr(customer, field)
    ]
    if diffs:
        customer.phone_digits = phone_digits(customer.phone)
        customer.save()
        do_audit_changes(obj=customer, actor=actor, changes=diffs)
    if customer.tier != old_tier:
        TierChange.objects.create(
            customer=customer,
            tier=customer.tier,
            effective_at=timezone.now(),
            source=TierChange.Source.MANUAL,
            actor=actor,
        )
        emit_retiered([customer.pk])
    return customer


def find_customer_by_phone(*, phone: str) -> Customer | None:
    digits = phone_digits(phone)
    if not digits:
        return None
    customers = Customer.objects.filter(phone_digits=digits, merged_into__isnull=True)
    return customers.order_by("created_at").first()


def check_transaction_fields(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    product = (cleaned.get("product") or "").strip()
    if not product:
        raise DomainError(_("产品不能为空。"), field="product")
    cleaned["product"] = check_text(product, field="product", max_length=100)
    if cleaned.get("occurred_at") is None:
        raise DomainError(_("交易时间不能为空。"), field="occurred_at")
    if timezone.is_naive(cleaned["occurred_at"]):
        cleaned["occurred_at"] = timezone.make_aware(cleaned["occurred_at"])
    if cleaned["occurred_at"] > timezone.now() + timedelta(days=1):
        raise DomainError(_("交易时间不能在将来。"), field="occurred_at")
    quantity = cleaned.get("quantity", 1)
    if not isinstance(quantity, int) or quantity < 1:
        raise DomainError(_("数量必须是正整数。"), field="quantity")
    for field in ("amount", "profit"):
        try:
            cleaned[field] = Decimal(str(cleaned.get(field, 0))).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise DomainError(_("金额格式不正确。"), field=field) from None
        if not cleaned[field].is_finite() or abs(cleaned[field]) >= Decimal("1e12"):
            raise DomainError(_("金额格式不正确。"), field=field)
    if cleaned["amount"] < 0:
        raise DomainError(_("金额不能为负数。"), field="amount")
    cleaned["state"] = check_choice(
        cleaned.get("state") or Transaction.State.COMPLETED, Transaction.State, "state"
    )
    cleaned["channel"] = (cleaned.get("channel") or "").strip()[:32]
    cleaned["external_id"] = (cleaned.get("external_id") or "").strip() or None
    return cleaned


@transaction.atomic
def do_transaction_record(*, actor, customer: Customer, **fields: Any) -> Transaction:
    """Record a purchase. A counted purchase makes a prospect a current customer."""
    check_permission(actor, "customers.change_customer")
    cleaned = check_transaction_fields(fields)
    if (
        cleaned["external_id"]
        and Transaction.objects.filter(external_id=cleaned["external_id"]).exists()
    ):
        raise DomainError(_("外部编号已存在。"), field="external_id", code="duplicate")
    purchase = Transaction.objects.create(customer=customer, **cleaned)
    if purchase.state in Transaction.COUNTED_STATES:
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.stage in (Stage.POTENTIAL, Stage.TARGET):
            do_audit_changes(
                obj=customer, actor=actor, changes=[("stage", customer.stage, Stage.CURRENT)]
            )
            customer.stage = Stage.CURRENT
        customer.loss_risk_since = None
        customer.save(update_fields=["stage", "loss_risk_since", "updated_at"])
    return purchase


@transaction.atomic
def do_win_back_record(*, actor, customer: Customer, outcome: str, note: str = ""):
    check_permission(actor, "customers.change_customer")
    outcome = check_choice(outcome, WinBackFollowUp.Outcome, "outcome")
    return WinBackFollowUp.objects.create(
        customer=customer, outcome=outcome, note=(note or "").strip(), author=actor
    )


@transaction.atomic
def do_loss_risk_sweep(*, now=None) -> dict[str, int]:
    """Flag current customers with no counted purchase for N days; unflag the active ones.

    Idempotent: a customer already flagged keeps the date they were first flagged.
    """
    now = now or timezone.now()
    since = now - timedelta(days=TierRule.current().loss_risk_days)
    recent = Transaction.objects.filter(
        customer=OuterRef("pk"), occurred_at__gte=since, state__in=Transaction.COUNTED_STATES
    )
    current = Customer.objects.filter(stage=Stage.CURRENT)
    flagged = (
        current.filter(loss_risk_since__isnull=True, created_at__lt=since)
        .exclude(Exists(recent))
        .update(loss_risk_since=now)
    )
    cleared = (
        Customer.objects.filter(loss_risk_since__isnull=False)
        .filter(~Q(stage=Stage.CURRENT) | Exists(recent))
        .update(loss_risk_since=None)
    )
    return {"flagged": flagged, "cleared": cleared}
