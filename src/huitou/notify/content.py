"""Notification templates: which variables each event may use, checking a template, and
filling one in for a ticket. Variables are written as standard phrases write them ({工单号});
{客户称呼} is filled the same way too (王先生, or a neutral 您 when no name is known)."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError
from huitou.customers.models import CustomerKind
from huitou.tickets.models import Message, Ticket
from huitou.tickets.phrases import customer_salutation, fill_salutation, phrase_variables

from .models import Event

COMMON_VARIABLES = ("{客户称呼}", "{工单号}", "{主题}", "{部门}", "{门户链接}")
# The variables only some events have a value for.
EVENT_VARIABLES = {
    Event.RECEIVED: (),
    Event.PUBLIC_REPLY: ("{回复内容}",),
    Event.DISPATCHED: ("{承诺日期}",),
    Event.RESOLVED: (),
    Event.REOPENED: (),
}
ALL_VARIABLES = (*COMMON_VARIABLES, "{承诺日期}", "{回复内容}")
VARIABLE = re.compile(r"\{[^{}\s]{1,20}\}")
SUBJECT_MAX = 200


def variables_for(event: str) -> tuple[str, ...]:
    return (*COMMON_VARIABLES, *EVENT_VARIABLES[Event(event)])


def check_template(*, event: str, channel: str, subject: str, body: str) -> None:
    """A DomainError naming the first variable the event cannot fill, on the field it is in."""
    allowed = variables_for(event)
    for field, text in (("subject", subject or ""), ("body", body or "")):
        for variable in VARIABLE.findall(text):
            if variable in allowed:
                continue
            if variable in ALL_VARIABLES:
                message = _("变量 %(variable)s 不能用于“%(event)s”通知，可用变量：%(allowed)s。")
            else:
                message = _("未知变量 %(variable)s，可用变量：%(allowed)s。")
            raise DomainError(
                message
                % {
                    "variable": variable,
                    "event": Event(event).label,
                    "allowed": "、".join(allowed),
                },
                field=field,
                code="unknown_variable",
            )
    if not (body or "").strip():
        raise DomainError(_("请填写通知内容。"), field="body")
    if channel == "email" and not (subject or "").strip():
        raise DomainError(_("邮件通知请填写主题。"), field="subject")


def portal_link(ticket: Ticket) -> str:
    """The ticket's page on the customer portal (我的工单; it asks them to sign in first),
    by URL name: notify and portal are independent apps. Without the portal, the help
    centre."""
    try:
        path = reverse("portal:ticket", args=[ticket.pk])
    except NoReverseMatch:
        path = reverse("help:home")
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Filled:
    subject: str
    body: str


def ticket_values(ticket: Ticket, *, message: Message | None = None) -> dict[str, str]:
    department = ticket.department
    complaint = getattr(ticket, "complaint", None) if ticket.type == "complaint" else None
    if complaint is not None and complaint.department_id:
        department = complaint.department
    return {
        "{工单号}": ticket.number,
        "{主题}": ticket.subject,
        "{部门}": department.name if department is not None else _("客服中心"),
        "{门户链接}": portal_link(ticket),
        "{承诺日期}": phrase_variables(ticket).values["{承诺日期}"] or _("近日"),
        "{回复内容}": message.body.strip() if message is not None else "",
    }


def fill(*, subject: str, body: str, ticket: Ticket, message: Message | None = None) -> Filled:
    values = ticket_values(ticket, message=message)
    salutation = customer_salutation(ticket.customer, contact_name=ticket.contact_name)
    organisation = ticket.customer.kind == CustomerKind.ORGANIZATION

    def one(text: str) -> str:
        # The salutation first, then the rest in one pass: a value that happens to contain
        # "{工单号}" (a customer's subject) stays as it was typed.
        text = fill_salutation(text, salutation, organisation=organisation)
        return VARIABLE.sub(lambda match: values.get(match.group(0), match.group(0)), text)

    return Filled(subject=" ".join(one(subject).split())[:SUBJECT_MAX], body=one(body))
