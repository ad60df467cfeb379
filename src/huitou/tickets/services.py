from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import Department, User
from huitou.core.audit import do_audit_changes, do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_choice, check_text
from huitou.core.numbering import next_number
from huitou.core.permissions import check_permission
from huitou.core.schemas import BODY_MAX, SUBJECT_MAX
from huitou.customers.models import Customer

from .models import (
    Channel,
    ContactStatus,
    Direction,
    ForbiddenPhraseUse,
    Message,
    Priority,
    Status,
    Ticket,
    TicketType,
)

TICKET_NUMBER_PREFIX = "T"
ASSIGNABLE_ROLES = {"agent", "supervisor", "handler", "admin"}

# Which status may follow which. Leaving resolved/closed for open is a reopen.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING, Status.RESOLVED, Status.CLOSED},
    Status.PENDING: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}
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
    if actor.has_perm("tickets.view_all_tickets"):
        return
    if ticket.department_id is None or ticket.department_id != actor.department_id:
        raise PermissionDenied(_("该工单不属于您的部门。"))


def check_assignee(
    *,
    actor,
    assignee: User | None,
    ticket_department_id: int | None,
    current_assignee_id: int | None = None,
) -> None:
    """Anyone may take an unassigned ticket or let go of their own; only holders of
    assign_ticket assign others or take a ticket from a colleague."""
    if assignee is None:
        return
    if assignee.is_service_account:
        raise DomainError(_("服务账号（例如智能客服机器人）不能处理工单。"), field="assignee")
    if not assignee.is_active or assignee.role not in ASSIGNABLE_ROLES:
        raise DomainError(_("该用户不能处理工单。"), field="assignee")
    if not actor.has_perm("tickets.assign_ticket"):
        if assignee.pk != actor.pk:
            raise PermissionDenied(_("您只能把工单分配给自己。"))
        # A ticket dispatched to a department is theirs to take over (派单 → 接单).
        receiving = actor.role == "handler" and ticket_department_id == actor.department_id
        if current_assignee_id not in (None, actor.pk) and not receiving:
            raise PermissionDenied(_("该工单已有处理人，请联系主管改派。"))
    # A handler only sees their department's tickets, so may only own those.
    if assignee.role == "handler" and (
        ticket_department_id is None or assignee.department_id != ticket_department_id
    ):
        raise DomainError(_("处理人不属于该工单的责任部门。"), field="assignee")


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
    ticket = Ticket(
        customer=customer,
        channel=check_choice(channel, Channel, "channel"),
        type=check_choice(type, TicketType, "type"),
        direction=check_choice(direction, Direction, "direction"),
        subject=_check_subject(subject),
        description=check_text(
            (description or "").strip(), field="description", max_length=BODY_MAX
        ),
        priority=check_choice(priority, Priority, "priority"),
        department=department,
        assignee=assignee,
        contact_name=check_text((contact_name or "").strip(), field="contact_name", max_length=100),
        contact_phone=check_text(
            (contact_phone or "").strip(), field="contact_phone", max_length=32
        ),
        contact_email=check_text(
            (contact_email or "").strip().lower(), field="contact_email", max_length=254
        ),
        contact_status=check_choice(contact_status, ContactStatus, "contact_status"),
        created_by=actor,
    )
    check_assignee(actor=actor, assignee=assignee, ticket_department_id=ticket.department_id)
    ticket.number = next_number(prefix=TICKET_NUMBER_PREFIX)
    ticket.save()
    do_audit_record(obj=ticket, actor=actor, action="created", new=ticket.number)
    if ticket.type == TicketType.COMPLAINT:
        from huitou.complaints.services import do_complaint_dispatch, do_complaint_open

        complaint = do_complaint_open(actor=actor, ticket=ticket)
        if dispatch_to is not None:  # filed and dispatched in one go
            do_complaint_dispatch(actor=actor, complaint=complaint, department=dispatch_to)
            ticket.refresh_from_db()
    from huitou.sla.clock import do_sla_start
    from huitou.sla.routing import do_ticket_route

    do_ticket_route(ticket=ticket)
    do_sla_start(ticket=ticket)
    return ticket


@transaction.atomic
def do_ticket_contact_verify(*, ticket: Ticket, customer: Customer) -> Ticket:
    """The customer proved the ticket's unverified contact (a code sent to it): the ticket
    now belongs to `customer`, the record that contact identifies, and is queued and timed
    by that customer's tier. Both changes land in the ticket's history."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.contact_status != ContactStatus.UNVERIFIED:
        raise ConflictError(_("该工单的联系方式无需验证或已经验证。"), field="contact_status")
    now = timezone.now()
    diffs = [("contact_status", ticket.contact_status, ContactStatus.VERIFIED)]
    if customer.pk != ticket.customer_id:
        diffs.append(("customer", ticket.customer, customer))
    ticket.customer = customer
    ticket.contact_status = ContactStatus.VERIFIED
    ticket.contact_verified_at = now
    ticket.save(update_fields=["customer", "contact_status", "contact_verified_at", "updated_at"])
    do_audit_changes(obj=ticket, actor=None, changes=diffs)
    if len(diffs) > 1 and ticket.is_open:
        # Another customer, maybe another tier: the queue and the SLA the tier gives.
        # The same rule as a tier change (sla.routing.do_tickets_requeue_for_customers).
        from huitou.sla.clock import do_sla_recompute
        from huitou.sla.routing import do_ticket_route, queue_fits, queue_for

        ticket = Ticket.objects.select_related("customer", "queue").get(pk=ticket.pk)
        target = queue_for(ticket)
        fits = ticket.queue is not None and queue_fits(ticket.queue, ticket)
        if target != ticket.queue and not (fits and not (target and target.tier)):
            if target is None:
                do_audit_changes(obj=ticket, actor=None, changes=[("queue", ticket.queue, None)])
                ticket.queue = None
                ticket.save(update_fields=["queue"])
            else:
                do_ticket_route(ticket=ticket)
        do_sla_recompute(ticket=ticket, now=now)
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


def apply_status_change(ticket: Ticket, new_status: str, now) -> str:
    """Move `ticket` to `new_status` and stamp the times; returns the audit action."""
    if new_status not in STATUS_TRANSITIONS[ticket.status]:
        raise ConflictError(
            _("工单不能从“%(old)s”变为“%(new)s”。")
            % {"old": Status(ticket.status).label, "new": Status(new_status).label},
            field="status",
            code="illegal_transition",
        )
    action = "changed"
    if new_status == Status.RESOLVED:
        ticket.resolved_at = now
    elif new_status == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif ticket.status in (Status.RESOLVED, Status.CLOSED):
        action = "reopened"
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.status = new_status
    return action


@transaction.atomic
def do_ticket_update(*, actor, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    """Change any of UPDATABLE_FIELDS; every change lands in the ticket's history."""
    check_permission(actor, "tickets.change_ticket")
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise DomainError(_("该字段不可修改。"), field=sorted(unknown)[0])
    if ticket.type == TicketType.COMPLAINT or changes.get("type") == TicketType.COMPLAINT:
        # Complaint services lock the complaint, then the ticket: keep that order here.
        from huitou.complaints.models import Complaint

        list(Complaint.objects.select_for_update().filter(pk=ticket.pk))
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    check_ticket_visible(actor=actor, ticket=ticket)
    check_complaint_flow_fields(ticket=ticket, changes=changes)
    now = timezone.now()
    diffs: list[tuple[str, Any, Any]] = []
    reopened = False
    assignee_requested = "assignee" in changes and changes["assignee"] != ticket.assignee

    if "department" in changes and changes["department"] != ticket.department:
        check_permission(actor, "tickets.dispatch_ticket")
        diffs.append(("department", ticket.department, changes["department"]))
        ticket.department = changes["department"]
        # A handler of the old department loses sight of the ticket: let it go unless the
        # same request names the new assignee.
        if (
            not assignee_requested
            and ticket.assignee is not None
            and ticket.assignee.role == "handler"
            and ticket.assignee.department_id != ticket.department_id
        ):
            diffs.append(("assignee", ticket.assignee, None))
            ticket.assignee = None
    if assignee_requested:
        releasing_self = changes["assignee"] is None and ticket.assignee_id == actor.pk
        if changes["assignee"] is None and not releasing_self:
            check_permission(actor, "tickets.assign_ticket")
        check_assignee(
            actor=actor,
            assignee=changes["assignee"],
            ticket_department_id=ticket.department_id,
            current_assignee_id=ticket.assignee_id,
        )
        diffs.append(("assignee", ticket.assignee, changes["assignee"]))
        ticket.assignee = changes["assignee"]
    for field, choices in (("priority", Priority), ("type", TicketType)):
        if field in changes and changes[field] != getattr(ticket, field):
            new = check_choice(changes[field], choices, field)
            diffs.append((field, getattr(ticket, field), new))
            setattr(ticket, field, new)
    if "subject" in changes:
        subject = _check_subject(changes["subject"])
        if subject != ticket.subject:
            diffs.append(("subject", ticket.subject, subject))
            ticket.subject = subject
    if "description" in changes:
        check_text(changes["description"] or "", field="description", max_length=BODY_MAX)
    if "description" in changes and (changes["description"] or "") != ticket.description:
        diffs.append(("description", ticket.description, changes["description"] or ""))
        ticket.description = changes["description"] or ""
    if "status" in changes and changes["status"] != ticket.status:
        new_status = check_choice(changes["status"], Status, "status")
        old_status = ticket.status
        reopened = apply_status_change(ticket, new_status, now) == "reopened"
        diffs.append(("status", old_status, new_status))

    if diffs:
        ticket.save()
        do_audit_changes(obj=ticket, actor=actor, changes=diffs)
        if reopened:
            do_audit_record(obj=ticket, actor=actor, action="reopened")
    changed = {field: old for field, old, _new in diffs}
    if "status" in changed:
        from huitou.sla.clock import do_sla_status_changed

        do_sla_status_changed(ticket=ticket, old_status=changed["status"], now=now)
    if {"priority", "type"} & set(changed):
        from huitou.sla.clock import do_sla_recompute

        do_sla_recompute(ticket=ticket, now=now)
    if any(field == "type" for field, _old, _new in diffs):
        from huitou.complaints.services import complaint_for_ticket_type_change

        complaint_for_ticket_type_change(actor=actor, ticket=ticket, new_type=ticket.type)
    return ticket


def check_reply_body(*, body: str, confirm_forbidden: bool) -> tuple[str, list]:
    """A public reply's text, and the forbidden phrases in it that the agent confirmed.

    Unfilled phrase variables are refused; forbidden phrases are refused unless the agent,
    having been warned, confirms (and the use is then counted for QA)."""
    from .phrases import UNFILLED_VARIABLE, forbidden_phrases_in, forbidden_warning

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
    complaint_step: bool = False,
) -> Message:
    """Add a reply or an internal note. The first public staff reply is the first response.

    A complaint is answered only through its flow (`complaint_step`, set by the complaint
    services), so a reply can never overtake the department's result."""
    check_permission(actor, "tickets.add_message")
    hits = []
    if public:
        check_permission(actor, "tickets.reply_to_customer")
        body, hits = check_reply_body(body=body, confirm_forbidden=confirm_forbidden)
    else:
        body = check_text((body or "").strip(), field="body", max_length=20000)
        if not body:
            raise DomainError(_("内容不能为空。"), field="body")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    check_ticket_visible(actor=actor, ticket=ticket)
    if public and ticket.type == TicketType.COMPLAINT and not complaint_step:
        raise ConflictError(
            _("投诉请通过“当即答复”或“答复客户”回复客户；过程中的沟通请记为内部备注。"),
            field="public",
            code="illegal_transition",
        )
    if public and ticket.status == Status.CLOSED:
        # Internal notes stay possible: QA reviews closed tickets.
        raise ConflictError(_("工单已关闭，请先重新打开。"), field="status")
    message = Message.objects.create(
        ticket=ticket, author=actor, sender=Message.Sender.STAFF, public=public, body=body
    )
    if hits:
        ForbiddenPhraseUse.objects.bulk_create(
            ForbiddenPhraseUse(message=message, phrase_id=hit.phrase_id, author=actor)
            for hit in hits
        )
    if public:
        from huitou.sla.clock import do_sla_first_response

        do_sla_first_response(ticket=ticket, at=message.created_at)
        changed = []
        if ticket.first_response_at is None:
            ticket.first_response_at = message.created_at
            changed.append("first_response_at")
        if ticket.status == Status.NEW:
            do_audit_changes(obj=ticket, actor=actor, changes=[("status", Status.NEW, Status.OPEN)])
            ticket.status = Status.OPEN
            changed.append("status")
        if changed:
            ticket.save(update_fields=[*changed, "updated_at"])
    do_audit_record(
        obj=ticket, actor=actor, action="replied" if public else "noted", new=message.pk
    )
    return message


@transaction.atomic
def do_customer_message_add(*, ticket: Ticket, body: str) -> Message:
    """The customer wrote (portal, e-mail, chat): thread it; a waiting ticket is active again
    and the next response falls due under the ticket's SLA."""
    body = check_text((body or "").strip(), field="body", max_length=20000)
    if not body:
        raise DomainError(_("内容不能为空。"), field="body")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    message = Message.objects.create(
        ticket=ticket, sender=Message.Sender.CUSTOMER, public=True, body=body
    )
    from huitou.sla.clock import do_sla_customer_message, do_sla_status_changed

    if ticket.status == Status.PENDING:
        ticket.status = Status.OPEN
        ticket.save(update_fields=["status", "updated_at"])
        do_audit_changes(obj=ticket, actor=None, changes=[("status", Status.PENDING, Status.OPEN)])
        do_sla_status_changed(ticket=ticket, old_status=Status.PENDING, now=message.created_at)
    do_sla_customer_message(ticket=ticket, at=message.created_at)
    return message


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
    from huitou.customers.services import do_customer_create, find_customer_by_phone

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
    from django.contrib.contenttypes.models import ContentType

    from huitou.core.models import AuditEntry

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
