"""Ticket services: who may do what to a ticket, then the funnel (tickets.funnel) does it."""

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import Department, User
from huitou.accounts.roles import Role
from huitou.accounts.scope import check_department_scope
from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_text
from huitou.core.models import AuditEntry
from huitou.core.permissions import check_permission
from huitou.core.schemas import BODY_MAX, SUBJECT_MAX
from huitou.customers.models import Customer
from huitou.customers.services import do_customer_create, find_customer_by_phone

from .events import MessageKind
from .funnel import check_may_hold, do_message_record, do_ticket_change, do_ticket_open, lock_ticket
from .models import (
    Attachment,
    Channel,
    ContactStatus,
    Direction,
    Message,
    Priority,
    Status,
    Ticket,
    TicketType,
)
from .phrases import UNFILLED_VARIABLE, forbidden_phrases_in, forbidden_warning

UPDATABLE_FIELDS = {
    "status",
    "priority",
    "assignee",
    "department",
    "type",
    "subject",
    "description",
}


def _check_subject(subject: str) -> str:
    subject = check_text((subject or "").strip(), field="subject", max_length=SUBJECT_MAX)
    if not subject:
        raise DomainError(_("主题不能为空。"), field="subject")
    if len(subject) > 200:
        raise DomainError(_("主题不能超过 200 个字符。"), field="subject")
    return subject


def check_ticket_visible(*, actor, ticket: Ticket) -> None:
    check_department_scope(actor, ticket.department_id)


def check_may_assign(
    *,
    actor,
    assignee: User | None,
    ticket_department_id: int | None,
    current_assignee_id: int | None = None,
) -> None:
    """Whether `actor` may give the ticket to `assignee`: anyone may take an unassigned
    ticket or let go of their own; only holders of assign_ticket assign others or take a
    ticket from a colleague. Whether `assignee` may hold it at all is the funnel's rule."""
    if assignee is None:
        return
    check_may_hold(assignee=assignee, department_id=ticket_department_id)
    if not actor.has_perm("tickets.assign_ticket"):
        if assignee.pk != actor.pk:
            raise PermissionDenied(_("您只能把工单分配给自己。"))
        # A ticket dispatched to a department is theirs to take over (派单 → 接单).
        receiving = actor.role == Role.HANDLER and ticket_department_id == actor.department_id
        if current_assignee_id not in (None, actor.pk) and not receiving:
            raise PermissionDenied(_("该工单已有处理人，请联系主管改派。"))


@transaction.atomic
def do_ticket_create(
    *,
    actor,
    customer: Customer,
    channel: str,
    type: str,
    subject: str,
    description: str = "",
    priority: str = Priority.NORMAL,
    department: Department | None = None,
    assignee: User | None = None,
    direction: str = Direction.INBOUND,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    contact_status: str = ContactStatus.STAFF,
) -> Ticket:
    """Open a ticket. `contact_status` "unverified" marks a contact the customer typed
    themselves (portal): the agent is told it is unproven until do_ticket_contact_verify."""
    check_permission(actor, "tickets.add_ticket")
    dispatch_to = None
    if type == TicketType.COMPLAINT and department is not None and not department.is_service_centre:
        # A complaint reaches a responsible department only by dispatch, which sets its due
        # time; one filed with the service centre stays there, to be answered or dispatched.
        dispatch_to, department = department, None
    check_may_assign(
        actor=actor, assignee=assignee, ticket_department_id=getattr(department, "pk", None)
    )
    return do_ticket_open(
        actor=actor,
        customer=customer,
        channel=channel,
        type=type,
        subject=_check_subject(subject),
        description=check_text(
            (description or "").strip(), field="description", max_length=BODY_MAX
        ),
        priority=priority,
        department=department,
        assignee=assignee,
        direction=direction,
        contact_name=check_text((contact_name or "").strip(), field="contact_name", max_length=100),
        contact_phone=check_text(
            (contact_phone or "").strip(), field="contact_phone", max_length=32
        ),
        contact_email=check_text(
            (contact_email or "").strip().lower(), field="contact_email", max_length=254
        ),
        contact_status=contact_status,
        dispatch_to=dispatch_to,
    )


@transaction.atomic
def do_ticket_contact_verify(*, ticket: Ticket, customer: Customer) -> Ticket:
    """The customer proved the ticket's unverified contact (a code sent to it): the ticket
    now belongs to `customer`, the record that contact identifies, and is queued and timed
    by that customer's tier. Both changes land in the ticket's history."""
    ticket = lock_ticket(ticket.pk)
    if ticket.contact_status != ContactStatus.UNVERIFIED:
        raise ConflictError(_("该工单的联系方式无需验证或已经验证。"), field="contact_status")
    now = timezone.now()
    ticket.contact_verified_at = now  # when, kept beside the status; not history of its own
    ticket.save(update_fields=["contact_verified_at"])
    # Another customer may mean another tier: sla re-queues and re-times (TicketChanged).
    do_ticket_change(
        ticket=ticket,
        actor=None,
        changes={"contact_status": ContactStatus.VERIFIED, "customer": customer},
        now=now,
    )
    return ticket


def check_complaint_flow_fields(*, ticket: Ticket, changes: dict[str, Any]) -> None:
    """A complaint's status and department move only through the complaint flow."""
    if ticket.type != TicketType.COMPLAINT:
        return
    if "status" in changes and changes["status"] != ticket.status:
        raise ConflictError(
            _("投诉工单的状态由投诉流程推进：请使用当即答复、派单、答复客户、回访或重新打开。"),
            field="status",
            code="illegal_transition",
        )
    if "department" in changes and changes["department"] != ticket.department:
        raise ConflictError(
            _("投诉工单请通过“派单”改派责任部门，并说明原因。"),
            field="department",
            code="illegal_transition",
        )


@transaction.atomic
def do_ticket_update(*, actor, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    """Change any of UPDATABLE_FIELDS; every change lands in the ticket's history."""
    check_permission(actor, "tickets.change_ticket")
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise DomainError(_("该字段不可修改。"), field=sorted(unknown)[0])
    ticket = lock_ticket(ticket.pk)
    check_ticket_visible(actor=actor, ticket=ticket)
    check_complaint_flow_fields(ticket=ticket, changes=changes)
    wanted: dict[str, Any] = {}
    if "department" in changes and changes["department"] != ticket.department:
        check_permission(actor, "tickets.dispatch_ticket")
        wanted["department"] = changes["department"]
    if "assignee" in changes and changes["assignee"] != ticket.assignee:
        releasing_self = changes["assignee"] is None and ticket.assignee_id == actor.pk
        if changes["assignee"] is None and not releasing_self:
            check_permission(actor, "tickets.assign_ticket")
        department = wanted.get("department", ticket.department)
        check_may_assign(
            actor=actor,
            assignee=changes["assignee"],
            ticket_department_id=getattr(department, "pk", None),
            current_assignee_id=ticket.assignee_id,
        )
        wanted["assignee"] = changes["assignee"]
    for field in ("priority", "type"):
        if field in changes:
            wanted[field] = changes[field]
    if "subject" in changes:
        wanted["subject"] = _check_subject(changes["subject"])
    if "description" in changes:
        wanted["description"] = check_text(
            changes["description"] or "", field="description", max_length=BODY_MAX
        )
    if "status" in changes:
        wanted["status"] = changes["status"]
    do_ticket_change(ticket=ticket, actor=actor, changes=wanted)
    return ticket


def check_reply_body(*, body: str, confirm_forbidden: bool) -> tuple[str, list]:
    """A public reply's text, and the forbidden phrases in it that the agent confirmed.

    Unfilled phrase variables are refused; forbidden phrases are refused unless the agent,
    having been warned, confirms (and the use is then counted for QA)."""
    body = check_text((body or "").strip(), field="body", max_length=20000)
    if not body:
        raise DomainError(_("内容不能为空。"), field="body")
    unfilled = UNFILLED_VARIABLE.search(body)
    if unfilled:
        raise DomainError(
            _("请先把 %(variable)s 替换为实际内容。") % {"variable": unfilled.group(0)},
            field="body",
            code="unfilled_variable",
        )
    hits = forbidden_phrases_in(body)
    if hits and not confirm_forbidden:
        raise DomainError(
            forbidden_warning(hits) + _("如仍要发送，请确认。"),
            field="body",
            code="forbidden_phrase",
        )
    return body, hits


@transaction.atomic
def do_message_add(
    *,
    actor,
    ticket: Ticket,
    body: str,
    public: bool,
    confirm_forbidden: bool = False,
    attachments: Iterable[Attachment] = (),
) -> Message:
    """Add a reply or an internal note. The first public staff reply is the first response.
    `attachments` are unsaved rows built by tickets.attachments (size already checked).

    A complaint is answered only through its flow (complaints.services), so a reply can
    never overtake the department's result."""
    check_permission(actor, "tickets.add_message")
    hits = []
    if public:
        check_permission(actor, "tickets.reply_to_customer")
        body, hits = check_reply_body(body=body, confirm_forbidden=confirm_forbidden)
    else:
        body = check_note_body(body)
    ticket = lock_ticket(ticket.pk)
    check_ticket_visible(actor=actor, ticket=ticket)
    if public and ticket.type == TicketType.COMPLAINT:
        raise ConflictError(
            _("投诉请通过“当即答复”或“答复客户”回复客户；过程中的沟通请记为内部备注。"),
            field="public",
            code="illegal_transition",
        )
    check_thread_open(ticket=ticket, public=public)
    kind = MessageKind.PUBLIC_REPLY if public else MessageKind.INTERNAL_NOTE
    return do_message_record(
        ticket=ticket,
        actor=actor,
        body=body,
        kind=kind,
        forbidden_hits=hits,
        attachments=attachments,
    )


def check_note_body(body: str) -> str:
    body = check_text((body or "").strip(), field="body", max_length=20000)
    if not body:
        raise DomainError(_("内容不能为空。"), field="body")
    return body


def check_thread_open(*, ticket: Ticket, public: bool) -> None:
    if public and ticket.status == Status.CLOSED:
        # Internal notes stay possible: QA reviews closed tickets.
        raise ConflictError(_("工单已关闭，请先重新打开。"), field="status")


@transaction.atomic
def do_customer_message_add(
    *, ticket: Ticket, body: str, original_body: str = "", attachments=()
) -> Message:
    """The customer wrote (portal, e-mail, chat): thread it; a waiting or resolved ticket is
    active again and the next response falls due under the ticket's SLA. `original_body` is
    the whole text when `body` shows only the new part (an e-mail without its quotes)."""
    body = check_note_body(body)
    ticket = lock_ticket(ticket.pk)
    return do_message_record(
        ticket=ticket,
        actor=None,
        body=body,
        kind=MessageKind.CUSTOMER,
        original_body=check_text(original_body or "", field="original_body", max_length=200000),
        attachments=attachments,
    )


@transaction.atomic
def do_phone_ticket_create(
    *,
    actor,
    phone: str,
    customer: Customer | None,
    customer_name: str,
    customer_kind: str,
    type: str,
    priority: str,
    subject: str,
    description: str = "",
    department: Department | None = None,
) -> Ticket:
    """A logged call: use the caller's customer record, or create it, then open the ticket.

    One transaction, so a rejected ticket never leaves a half-filed new customer behind.
    """
    customer = customer or find_customer_by_phone(phone=phone)
    if customer is None:
        if not (customer_name or "").strip():
            raise DomainError(_("新客户请填写姓名。"), field="customer_name")
        customer = do_customer_create(
            actor=actor, name=customer_name, phone=phone, kind=customer_kind
        )
    return do_ticket_create(
        actor=actor,
        customer=customer,
        channel=Channel.PHONE,
        type=type,
        subject=subject,
        description=description,
        priority=priority,
        department=department,
        contact_name=customer.name,
        contact_phone=phone,
    )


# A ticket's own copy of how to reach the customer; cleared with the customer's personal data.
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


@transaction.atomic
def do_ticket_contact_anonymise(*, actor, customer: Customer) -> int:
    """Clear the contact copied onto every ticket of `customer` (its personal data is being
    erased, see huitou.customers.retention); the history keeps that it happened, not the
    values, and earlier history entries of these fields lose theirs. Returns the tickets
    changed."""
    fields = [f for f in CONTACT_FIELDS if any(x.name == f for x in Ticket._meta.fields)]
    tickets = list(
        Ticket.objects.select_for_update()
        .filter(customer=customer)
        .exclude(**{f: "" for f in fields})
        .order_by("pk")
    )
    if not tickets:
        return 0
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(**{f: "" for f in fields})
    content_type = ContentType.objects.get_for_model(Ticket)
    AuditEntry.objects.filter(
        content_type=content_type, object_id__in=[t.pk for t in tickets], field__in=fields
    ).update(old_value="", new_value="")
    for ticket in tickets:
        do_audit_record(obj=ticket, actor=actor, action="anonymised", field="contact_phone")
    return len(tickets)
