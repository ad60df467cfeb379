from datetime import datetime
from typing import Literal

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huitou.accounts.models import Department, User
from huitou.core.errors import DomainError
from huitou.core.pagination import ApiPagination
from huitou.core.permissions import check_permission
from huitou.core.schemas import Body, Name, SearchText, Subject, Text, choices_literal
from huitou.customers.models import Tier
from huitou.customers.privacy import shown_value
from huitou.customers.selectors import access_customer
from huitou.sla.clock import sla_summary
from huitou.sla.models import Queue
from huitou.sla.routing import do_ticket_transfer
from huitou.surveys.selectors import ticket_satisfaction

from .models import Channel, Direction, Message, Priority, TicketType
from .models import Status as TicketStatus
from .phrases import forbidden_phrases_in, forbidden_warning, standard_phrases_for
from .selectors import access_ticket, attach_message_extras, ticket_list, ticket_thread
from .services import do_message_add, do_ticket_create, do_ticket_update

router = Router(tags=["tickets"])
MAX_ID = 2**63 - 1  # the database's bigint

ChannelName = choices_literal(Channel)
TypeName = choices_literal(TicketType)
PriorityName = choices_literal(Priority)
StatusName = choices_literal(TicketStatus)


class TicketIn(Schema):
    customer: int
    channel: ChannelName
    type: TypeName
    subject: Subject
    description: Body = ""
    priority: PriorityName = "normal"
    department: int | None = None
    assignee: int | None = None
    direction: choices_literal(Direction) = "inbound"
    contact_name: Name = ""
    contact_phone: Text(32) = ""


class TicketPatch(Schema):
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: TypeName | None = None
    subject: Subject | None = None
    description: Body | None = None
    department: int | None = None
    assignee: int | None = None


class SlaOut(Schema):
    policy: str
    policy_id: int
    first_response_due: datetime
    first_response_at: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime
    resolved_at: datetime | None
    state: Literal["on_track", "at_risk", "breached", "met"]
    paused: bool
    remaining_seconds: int | None


class TicketOut(Schema):
    id: int
    number: str
    customer: int = Field(alias="customer_id")
    customer_number: str = Field(alias="customer.number")
    customer_name: str = Field(alias="customer.name")
    customer_tier: str = Field(alias="customer.tier")
    channel: str
    type: str
    direction: str
    subject: str
    description: str
    contact_name: str
    contact_phone: str
    contact_email: str
    contact_verified: bool | None = Field(
        None,
        description="null: the contact was recorded by staff; false: typed by the customer on "
        "the portal and not yet proven (the ticket is under a visitor record); true: proven "
        "by a code sent to it.",
    )
    contact_verified_at: datetime | None
    priority: str
    status: str
    assignee: int | None = Field(alias="assignee_id")
    assignee_name: str | None = None
    department: int | None = Field(alias="department_id")
    department_name: str | None = None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    queue: int | None = Field(alias="queue_id")
    sla: SlaOut | None = None

    @staticmethod
    def resolve_sla(obj) -> dict | None:
        return sla_summary(getattr(obj, "sla", None))

    @staticmethod
    def resolve_contact_verified(obj) -> bool | None:
        return {"unverified": False, "verified": True}.get(obj.contact_status)

    @staticmethod
    def resolve_contact_phone(obj, context) -> str:
        # Masked for who does not need it.
        return shown_value(context["request"].user, "phone", obj.contact_phone)

    @staticmethod
    def resolve_contact_email(obj, context) -> str:
        return shown_value(context["request"].user, "email", obj.contact_email)

    @staticmethod
    def resolve_assignee_name(obj) -> str | None:
        return obj.assignee.display_name if obj.assignee_id else None

    @staticmethod
    def resolve_department_name(obj) -> str | None:
        return obj.department.name if obj.department_id else None


class TicketFilters(Schema):
    view: Literal["all", "mine", "unassigned", "department"] = "all"
    status: StatusName | Literal["", "active"] = ""
    type: TypeName | Literal[""] = ""
    priority: PriorityName | Literal[""] = ""
    tier: choices_literal("", Tier) = ""
    q: SearchText = ""
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    channel: ChannelName | Literal[""] = ""


class MessageIn(Schema):
    body: Body
    public: bool = True
    confirm_forbidden: bool = False


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    inline: bool
    url: str = Field(
        description="Download, with this API's bearer token or a signed-in session; only "
        "images open in the browser, anything else is sent as a download."
    )

    @staticmethod
    def resolve_url(obj, context) -> str:
        return context["request"].build_absolute_uri(reverse("tickets:attachment", args=[obj.pk]))


class DeliveryOut(Schema):
    state: Literal["queued", "sent", "failed"]
    error: str = ""


class MessageOut(Schema):
    id: int
    ticket: int = Field(alias="ticket_id")
    body: str
    original_body: str = Field(
        description="The whole text as it came (an e-mail with its quoted history and "
        "signature) when `body` shows only the new part; empty when they are the same."
    )
    public: bool
    sender: str
    kind: Literal["customer", "public", "internal"] = Field(
        description="customer: the customer wrote it; public: a reply the customer sees; "
        "internal: a note only staff see."
    )
    author: int | None = Field(alias="author_id")
    author_name: str | None = None
    created_at: datetime
    attachments: list[AttachmentOut]
    delivery: DeliveryOut | None = Field(
        None, description="Outgoing e-mail: whether the reply reached the mail server."
    )

    @staticmethod
    def resolve_author_name(obj) -> str | None:
        return obj.author.display_name if obj.author_id else None

    @staticmethod
    def resolve_kind(obj) -> str:
        if obj.sender == Message.Sender.CUSTOMER:
            return "customer"
        return "public" if obj.public else "internal"

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())  # prefetched by ticket_thread

    @staticmethod
    def resolve_delivery(obj) -> dict | None:
        if not hasattr(obj, "extras"):  # a message just added, not read with its thread
            attach_message_extras([obj])
        return obj.extras.get("delivery")


def _department(department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise DomainError(_("部门不存在。"), field="department")
    return department


def _assignee(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.prefetch_related("groups").filter(pk=user_id).first()
    if user is None:
        raise DomainError(_("用户不存在。"), field="assignee")
    return user


@router.get("", response=list[TicketOut])
@paginate(ApiPagination)
def tickets_list(request, filters: Query[TicketFilters]):
    params = filters.dict()
    params["customer_id"] = params.pop("customer")
    return ticket_list(user=request.user, **params)


@router.post("", response={201: TicketOut})
def tickets_create(request, payload: TicketIn):
    check_permission(request.user, "tickets.add_ticket")  # 403 before any lookup
    data = payload.dict()
    try:
        customer = access_customer(user=request.user, customer_id=data.pop("customer"))
    except Http404:
        raise DomainError(_("客户不存在。"), field="customer") from None
    data["department"] = _department(data["department"])
    data["assignee"] = _assignee(data["assignee"])
    ticket = do_ticket_create(actor=request.user, customer=customer, **data)
    return Status(201, access_ticket(user=request.user, ticket_id=ticket.pk))


class SatisfactionOut(Schema):
    state: Literal["none", "scheduled", "invited", "answered"] = Field(
        description="none: not asked (no invitation, or skipped: see `skipped`); scheduled: "
        "the invitation waits for its time; invited: sent; answered: rated."
    )
    rating: int | None = Field(None, description="5 很好 … 1 差")
    comment: str = ""
    reason: str = ""
    url: str | None = Field(None, description="the customer's link (POST JSON to it to answer)")
    channel: str = ""
    skipped: str | None = Field(None, description="why not asked: sampled_out, cooldown, …")
    due_at: datetime | None = None
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    expires_at: datetime | None = None
    expired: bool = False


class TicketDetailOut(TicketOut):
    satisfaction: SatisfactionOut

    @staticmethod
    def resolve_satisfaction(obj) -> dict:
        return ticket_satisfaction(obj)


@router.get("/{ticket_id}", response=TicketDetailOut)
def tickets_get(request, ticket_id: int):
    """One ticket, with its SLA and the customer's rating of it (`satisfaction`)."""
    return access_ticket(user=request.user, ticket_id=ticket_id)


@router.patch("/{ticket_id}", response=TicketOut)
def tickets_update(request, ticket_id: int, payload: TicketPatch):
    ticket = access_ticket(user=request.user, ticket_id=ticket_id)
    changes = payload.dict(exclude_unset=True)
    for field in ("status", "priority", "type", "subject"):
        if field in changes and changes[field] is None:
            raise DomainError(_("该字段不能为空。"), field=field)
    if "department" in changes:
        changes["department"] = _department(changes["department"])
    if "assignee" in changes:
        changes["assignee"] = _assignee(changes["assignee"])
    do_ticket_update(actor=request.user, ticket=ticket, changes=changes)
    return access_ticket(user=request.user, ticket_id=ticket_id)


@router.get("/{ticket_id}/messages", response=list[MessageOut])
def messages_list(request, ticket_id: int):
    """The whole thread, oldest first, with each message's attachments and, for a reply
    sent by e-mail, its delivery."""
    return ticket_thread(ticket=access_ticket(user=request.user, ticket_id=ticket_id))


@router.post("/{ticket_id}/messages", response={201: MessageOut})
def messages_add(request, ticket_id: int, payload: MessageIn):
    ticket = access_ticket(user=request.user, ticket_id=ticket_id)
    message = do_message_add(
        actor=request.user,
        ticket=ticket,
        body=payload.body,
        public=payload.public,
        confirm_forbidden=payload.confirm_forbidden,
    )
    return Status(201, message)


phrases_router = Router(tags=["phrases"])


class PhraseCheckIn(Schema):
    text: Body


class ForbiddenHitOut(Schema):
    phrase: str
    kind: str
    kind_label: str
    suggestion: str


class PhraseCheckOut(Schema):
    ok: bool
    warning: str
    matches: list[ForbiddenHitOut]


class StandardPhraseOut(Schema):
    id: int
    title: str
    text: str  # "" when unavailable: it is never sent with a placeholder in it
    available: bool
    missing: list[str]  # the variables the ticket has no value for, e.g. ["{承诺日期}"]
    reason: str


class PhraseGroupOut(Schema):
    category: str
    label: str
    phrases: list[StandardPhraseOut]


@phrases_router.post("/check", response=PhraseCheckOut)
def phrases_check(request, payload: PhraseCheckIn):
    """Forbidden phrases (服务忌语) in a draft reply, so the agent is warned before sending."""
    check_permission(request.user, "tickets.add_message")
    hits = forbidden_phrases_in(payload.text[:20000])
    return {
        "ok": not hits,
        "warning": forbidden_warning(hits) if hits else "",
        "matches": [hit.__dict__ for hit in hits],
    }


class PhraseTicketQuery(Schema):
    ticket: int = Field(ge=1, le=MAX_ID)


@phrases_router.get("/standard", response=list[PhraseGroupOut])
def phrases_standard(request, query: Query[PhraseTicketQuery]):
    """Standard phrases by category, with the ticket's values filled in; a phrase needing a
    value the ticket lacks is marked unavailable, with the reason."""
    return standard_phrases_for(access_ticket(user=request.user, ticket_id=query.ticket))


class TransferIn(Schema):
    reason: Text(500)
    assignee: int | None = Field(None, ge=1, le=MAX_ID)
    queue: int | None = Field(None, ge=1, le=MAX_ID)


@router.post("/{ticket_id}/transfer", response=TicketOut)
def tickets_transfer(request, ticket_id: int, payload: TransferIn):
    """转派: to another agent, or to a queue (which picks the agent), with a reason."""
    ticket = access_ticket(user=request.user, ticket_id=ticket_id)
    queue = None
    if payload.queue is not None:
        queue = Queue.objects.filter(pk=payload.queue, active=True).first()
        if queue is None:
            raise DomainError(_("队列不存在。"), field="queue")
    do_ticket_transfer(
        actor=request.user,
        ticket=ticket,
        reason=payload.reason,
        assignee=_assignee(payload.assignee),
        queue=queue,
    )
    return access_ticket(user=request.user, ticket_id=ticket_id)
