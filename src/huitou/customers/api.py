import json
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from huitou.core.errors import DomainError
from huitou.core.pagination import ApiPagination
from huitou.core.permissions import check_permission
from huitou.core.schemas import Moment, Name, Note, SearchText, ShortName, Text, choices_literal

from .cleansing import data_quality_report, do_customer_merge, duplicate_groups, merge_preview
from .import_jobs import do_import_job_create
from .models import (
    CustomerKind,
    CustomerRFM,
    Gender,
    ImportJob,
    LossReason,
    PersonalDataAccess,
    Stage,
    TagRule,
    Tier,
    Transaction,
)
from .personality import ListeningStyle, Personality, service_guidance
from .privacy import (
    PERSONAL_FIELDS,
    access_records,
    check_privacy_requests,
    do_personal_data_reveal,
    do_view_record,
    shown_value,
)
from .qualification import qualification_strategy
from .retention import do_customer_erase_on_request, personal_data_export
from .selectors import (
    access_customer,
    check_archive_cleansing,
    check_whole_archive,
    customer_list,
)
from .services import do_customer_create, do_customer_update, do_transaction_record
from .tagging import do_manual_tag, do_manual_tag_remove, do_tag_rule_save
from .tiers import do_tier_override, tier_distribution

router = Router(tags=["customers"])

KindName = choices_literal(CustomerKind)
TierName = choices_literal(Tier)
StageName = choices_literal(Stage)
GenderName = choices_literal(Gender)
PersonalityName = choices_literal(Personality)
ListeningName = choices_literal(ListeningStyle)


class CustomerIn(Schema):
    name: Name
    phone: Text(32) = ""
    email: Text(254) = ""
    kind: KindName = "individual"
    tier: TierName = "C"
    stage: StageName = "potential"
    is_internal: bool = False
    gender: GenderName = ""
    city: Text(50) = ""
    address: Text(200) = ""
    note: Note = ""
    external_id: Text(64) | None = None
    hobbies: Text(200) = ""
    needs: Note = ""
    personality: PersonalityName = ""
    listening_style: ListeningName = ""
    has_need: bool | None = None
    can_pay: bool | None = None
    has_authority: bool | None = None
    loss_reason: int | None = None
    loss_note: Text(200) = ""


class CustomerPatch(Schema):
    name: Name | None = None
    phone: Text(32) | None = None
    email: Text(254) | None = None
    kind: KindName | None = None
    tier: TierName | None = None
    stage: StageName | None = None
    is_internal: bool | None = None
    gender: GenderName | None = None
    city: Text(50) | None = None
    address: Text(200) | None = None
    note: Note | None = None
    external_id: Text(64) | None = None
    hobbies: Text(200) | None = None
    needs: Note | None = None
    personality: PersonalityName | None = None
    listening_style: ListeningName | None = None
    has_need: bool | None = None
    can_pay: bool | None = None
    has_authority: bool | None = None
    loss_reason: int | None = None
    loss_note: Text(200) | None = None


class CustomerOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    phone: str
    email: str
    id_number: str
    tier: str
    stage: str
    is_internal: bool
    gender: str
    city: str
    address: str
    note: str
    external_id: str | None
    hobbies: str
    needs: str
    personality: str
    listening_style: str
    has_need: bool | None
    can_pay: bool | None
    has_authority: bool | None
    lost_at: datetime | None
    loss_reason: int | None = Field(alias="loss_reason_id")
    loss_note: str
    loss_risk: bool = False
    qualification: dict | None = None
    created_at: datetime
    updated_at: datetime

    # Masked for roles that do not need them (see privacy.py).
    @staticmethod
    def resolve_phone(obj, context) -> str:
        return shown_value(context["request"].user, "phone", obj.phone)

    @staticmethod
    def resolve_email(obj, context) -> str:
        return shown_value(context["request"].user, "email", obj.email)

    @staticmethod
    def resolve_id_number(obj, context) -> str:
        return shown_value(context["request"].user, "id_number", obj.id_number)

    @staticmethod
    def resolve_loss_risk(obj) -> bool:
        return obj.loss_risk_since is not None

    @staticmethod
    def resolve_qualification(obj) -> dict | None:
        result = qualification_strategy(
            has_need=obj.has_need, can_pay=obj.can_pay, has_authority=obj.has_authority
        )
        return {"strategy": result[0], "advice": result[1]} if result else None


class TierChangeOut(Schema):
    tier: str
    effective_at: datetime
    source: str
    reason: str


class CustomerTagOut(Schema):
    name: str = Field(alias="tag.name")
    source: str
    weight: float
    explanation: str


class CustomerDetailOut(CustomerOut):
    tier_history: list[TierChangeOut]
    tags: list[CustomerTagOut]
    rfm: dict | None = None
    guidance: dict

    @staticmethod
    def resolve_tags(obj) -> list:
        return list(obj.tag_links.select_related("tag").order_by("source", "-weight"))

    @staticmethod
    def resolve_rfm(obj) -> dict | None:
        rfm = CustomerRFM.objects.filter(customer=obj).first()
        if rfm is None:
            return None
        return {
            "recency_days": rfm.recency_days,
            "frequency": rfm.frequency,
            "monetary": str(rfm.monetary),
            "r": rfm.r_score,
            "f": rfm.f_score,
            "m": rfm.m_score,
            "segment": rfm.segment,
        }

    @staticmethod
    def resolve_tier_history(obj) -> list:
        return list(obj.tier_changes.order_by("effective_at", "id"))

    @staticmethod
    def resolve_guidance(obj) -> dict:
        return service_guidance(personality=obj.personality, listening_style=obj.listening_style)


MONEY_MAX = Decimal("999999999999.99")  # the column: 14 digits, 2 after the point


class TransactionIn(Schema):
    occurred_at: Moment
    product: Text(100)
    quantity: int = Field(1, ge=1, le=1_000_000)
    amount: Decimal = Field(..., ge=-MONEY_MAX, le=MONEY_MAX)
    profit: Decimal = Field(Decimal(0), ge=-MONEY_MAX, le=MONEY_MAX)
    channel: Text(32) = ""
    state: choices_literal(Transaction.State) = "completed"
    external_id: Text(64) | None = None


class TransactionOut(Schema):
    id: int
    customer: int = Field(alias="customer_id")
    occurred_at: datetime
    product: str
    quantity: int
    amount: Decimal
    profit: Decimal
    channel: str
    state: str
    external_id: str | None


class TierOverrideIn(Schema):
    tier: TierName
    reason: Text(200)
    expires_at: Moment


class LossReasonOut(Schema):
    id: int
    name: str


class CustomerFilters(Schema):
    q: SearchText = ""
    tier: TierName | Literal[""] = ""
    stage: StageName | Literal[""] = ""
    kind: KindName | Literal[""] = ""
    loss_risk: bool | None = None
    tag: ShortName = ""
    qualification: Literal["", "ideal", "find_decider", "check_credit", "skilled_selling"] = ""


@router.get("", response=list[CustomerOut])
@paginate(ApiPagination)
def customers_list(request, filters: Query[CustomerFilters]):
    return customer_list(user=request.user, **filters.dict())


def _with_loss_reason(data: dict) -> dict:
    if data.get("loss_reason") is not None:
        reason = LossReason.objects.filter(pk=data["loss_reason"], active=True).first()
        if reason is None:
            raise DomainError(_("流失原因不存在。"), field="loss_reason")
        data["loss_reason"] = reason
    return data


class MergeIn(Schema):
    duplicate: int
    preview: bool = False


@router.get("/cleansing/duplicates", response=list[dict])
def cleansing_duplicates(request):
    """Groups of customer numbers that look like one customer (supervisors and admins)."""
    check_archive_cleansing(request.user)
    return duplicate_groups()


@router.get("/cleansing/quality", response=dict)
def cleansing_quality(request):
    check_archive_cleansing(request.user)
    return data_quality_report()


class TagIn(Schema):
    name: ShortName
    weight: float = 1.0


class TagRuleIn(Schema):
    name: ShortName
    conditions: list[dict]
    match: choices_literal(TagRule.Match) = "all"
    weight: float = Field(1.0, gt=0, le=10)


class TagRuleOut(Schema):
    id: int
    name: str = Field(alias="tag.name")
    conditions: list[dict]
    match: str
    weight: float
    active: bool


@router.get("/tag-rules", response=list[TagRuleOut])
def tag_rules_list(request):
    check_permission(request.user, "customers.view_customer")
    return list(TagRule.objects.select_related("tag"))


@router.post("/tag-rules", response={201: TagRuleOut})
def tag_rules_save(request, payload: TagRuleIn):
    """Create or replace a rule tag; customers get it at the next tag recompute."""
    return Status(201, do_tag_rule_save(actor=request.user, **payload.dict()))


class ImportJobOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    dry_run: bool
    skip_bad: bool
    processed_rows: int
    total_rows: int
    percent: int
    report: dict = Field(
        description="codes for programs (encoding, errors[].field) and, beside them, labels "
        "for people (encoding_label, errors[].field_label)"
    )
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_report(job: ImportJob) -> dict:
        return job.labelled_report


@router.post("/imports", response={201: ImportJobOut})
def imports_create(
    request,
    kind: Form[choices_literal(ImportJob.Kind)],
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    skip_bad: Form[bool] = False,
    mapping: Form[str] = "",
):
    """Upload a CSV/XLSX file; the worker imports it. Poll GET /imports/{id} for progress."""
    job = do_import_job_create(
        actor=request.user,
        kind=kind,
        uploaded=file,
        dry_run=dry_run,
        skip_bad=skip_bad,
        mapping=mapping,
    )
    return Status(201, job)


@router.get("/imports/{job_id}", response=ImportJobOut)
def imports_get(request, job_id: int):
    check_archive_cleansing(request.user)
    return get_object_or_404(ImportJob, pk=job_id)


@router.get("/tiers/distribution", response=dict)
def tiers_distribution(request, at: Moment | None = None):
    """How many customers were in each tier at `at` (default now)."""
    check_whole_archive(request.user)
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return tier_distribution(moment=moment)


@router.get("/loss-reasons", response=list[LossReasonOut])
def loss_reasons_list(request):
    return list(LossReason.objects.filter(active=True))


@router.post("", response={201: CustomerDetailOut})
def customers_create(request, payload: CustomerIn):
    data = _with_loss_reason(payload.dict())
    return Status(201, do_customer_create(actor=request.user, **data))


@router.get("/{customer_id}", response=CustomerDetailOut)
def customers_get(request, customer_id: int):
    customer = access_customer(user=request.user, customer_id=customer_id)
    do_view_record(actor=request.user, customer=customer, channel="api")
    return customer


@router.patch("/{customer_id}", response=CustomerDetailOut)
def customers_update(request, customer_id: int, payload: CustomerPatch):
    customer = access_customer(user=request.user, customer_id=customer_id)
    # An explicit null clears a text field; for choice fields the service rejects it.
    nullable = {"external_id", "has_need", "can_pay", "has_authority", "loss_reason"}
    changes = {
        k: v if v is not None or k in nullable else ""
        for k, v in payload.dict(exclude_unset=True).items()
    }
    changes = _with_loss_reason(changes)
    return do_customer_update(actor=request.user, customer=customer, changes=changes)


@router.get("/{customer_id}/transactions", response=list[TransactionOut])
@paginate(ApiPagination)
def transactions_list(request, customer_id: int):
    return access_customer(user=request.user, customer_id=customer_id).transactions.all()


@router.post("/{customer_id}/transactions", response={201: TransactionOut})
def transactions_create(request, customer_id: int, payload: TransactionIn):
    customer = access_customer(user=request.user, customer_id=customer_id)
    return Status(
        201, do_transaction_record(actor=request.user, customer=customer, **payload.dict())
    )


@router.post("/{customer_id}/tags", response={201: CustomerTagOut})
def customer_tags_add(request, customer_id: int, payload: TagIn):
    customer = access_customer(user=request.user, customer_id=customer_id)
    link = do_manual_tag(actor=request.user, customer=customer, **payload.dict())
    return Status(201, link)


@router.delete("/{customer_id}/tags/{name}", response={204: None})
def customer_tags_remove(request, customer_id: int, name: ShortName):
    customer = access_customer(user=request.user, customer_id=customer_id)
    do_manual_tag_remove(actor=request.user, customer=customer, name=name)
    return Status(204, None)


@router.post("/{customer_id}/merge", response=dict)
def customers_merge(request, customer_id: int, payload: MergeIn):
    """Merge customer `duplicate` into this one; with preview=true only say what would move."""
    check_archive_cleansing(request.user)
    survivor = access_customer(user=request.user, customer_id=customer_id)
    try:
        duplicate = access_customer(user=request.user, customer_id=payload.duplicate)
    except Http404:
        raise DomainError(_("客户不存在。"), field="duplicate") from None
    if payload.preview:
        return merge_preview(survivor=survivor, duplicate=duplicate)
    return do_customer_merge(actor=request.user, survivor=survivor, duplicate=duplicate).summary


@router.post("/{customer_id}/tier-override", response=CustomerDetailOut)
def tier_override_create(request, customer_id: int, payload: TierOverrideIn):
    customer = access_customer(user=request.user, customer_id=customer_id)
    do_tier_override(actor=request.user, customer=customer, **payload.dict())
    return access_customer(user=request.user, customer_id=customer_id)


# Personal information (PIPL): reveal, a customer's request to copy or delete, the record.
class RevealIn(Schema):
    fields: list[Literal[PERSONAL_FIELDS]] = Field(..., min_length=1, max_length=3)


class ErasureIn(Schema):
    reason: Text(200, min_length=1)
    confirm_number: Text(16)


class AccessRecordOut(Schema):
    id: int
    created_at: datetime
    actor: int | None = Field(alias="actor_id")
    actor_name: str | None = None
    action: str
    customer: int | None = Field(alias="customer_id")
    customer_number: str | None = None
    fields: list[str]
    channel: str
    detail: dict

    @staticmethod
    def resolve_actor_name(obj) -> str | None:
        return obj.actor.display_name if obj.actor_id else None

    @staticmethod
    def resolve_customer_number(obj) -> str | None:
        return obj.customer.number if obj.customer_id else None


class AccessRecordFilters(Schema):
    customer: Text(16) = ""
    actor: Text(150) = ""
    action: choices_literal("", PersonalDataAccess.Action) = ""


@router.get("/privacy/access-records", response=list[AccessRecordOut])
@paginate(ApiPagination)
def access_records_list(request, filters: Query[AccessRecordFilters]):
    """Who viewed, revealed, exported, deleted or anonymised personal data (supervisors,
    admins)."""
    return access_records(user=request.user, **filters.dict())


@router.post("/{customer_id}/reveal", response=dict[str, str])
def customers_reveal(request, customer_id: int, payload: RevealIn):
    """The full values of masked fields (QA, handlers; the desk sees them anyway); recorded."""
    customer = access_customer(user=request.user, customer_id=customer_id)
    return do_personal_data_reveal(
        actor=request.user, customer=customer, fields=payload.fields, channel="api"
    )


@router.get("/{customer_id}/personal-data", response=dict)
def customers_personal_data(request, customer_id: int):
    """查阅/复制: everything kept about the customer (supervisors, admins); recorded."""
    check_privacy_requests(request.user)
    customer = access_customer(user=request.user, customer_id=customer_id)
    return json.loads(personal_data_export(actor=request.user, customer=customer, channel="api"))


@router.post("/{customer_id}/erase", response=dict)
def customers_erase(request, customer_id: int, payload: ErasureIn):
    """删除 on the customer's request: anonymisation (supervisors, admins); recorded. The
    customer number must be repeated in `confirm_number`."""
    check_privacy_requests(request.user)
    customer = access_customer(user=request.user, customer_id=customer_id)
    if payload.confirm_number.strip().upper() != customer.number.upper():
        raise DomainError(_("客户编号不一致。"), field="confirm_number")
    return do_customer_erase_on_request(
        actor=request.user, customer=customer, reason=payload.reason, channel="api"
    )
