"""/api/v1/mail: the mailboxes customers write to (admin only). Passwords go in, never out."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from huitou.accounts.models import Department
from huitou.core.errors import DomainError
from huitou.core.permissions import check_admin
from huitou.core.schemas import Name, Text
from huitou.tickets.api import MAX_ID

from .outgoing import do_outgoing_resend, message_delivery
from .selectors import access_mailbox, mailbox_list
from .services import do_mailbox_create, do_mailbox_deactivate, do_mailbox_update

router = Router(tags=["mail"])
Host = Text(255)
Signature = Text(5000)


class MailboxIn(Schema):
    address: Text(254)
    name: Name = ""
    department: int | None = Field(None, ge=1, le=MAX_ID)
    active: bool = True
    imap_host: Host = ""
    imap_port: int = Field(993, ge=1, le=65535)
    imap_tls: bool = True
    imap_username: Host = ""
    imap_password: Host = ""
    imap_folder: Host = "INBOX"
    smtp_host: Host = ""
    smtp_port: int = Field(465, ge=1, le=65535)
    smtp_tls: bool = True
    smtp_username: Host = ""
    smtp_password: Host = ""
    signature: Signature = ""
    auto_answer: bool = False


class MailboxPatch(Schema):
    """Only what is given changes; a password left out (or null) keeps the stored one."""

    address: Text(254) | None = None
    name: Name | None = None
    department: int | None = Field(None, ge=1, le=MAX_ID)
    active: bool | None = None
    imap_host: Host | None = None
    imap_port: int | None = Field(None, ge=1, le=65535)
    imap_tls: bool | None = None
    imap_username: Host | None = None
    imap_password: Host | None = None
    imap_folder: Host | None = None
    smtp_host: Host | None = None
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_tls: bool | None = None
    smtp_username: Host | None = None
    smtp_password: Host | None = None
    signature: Signature | None = None
    auto_answer: bool | None = None


class MailboxOut(Schema):
    id: int
    address: str
    name: str
    department: int | None
    department_name: str | None
    active: bool
    imap_host: str
    imap_port: int
    imap_tls: bool
    imap_username: str
    imap_folder: str
    has_imap_password: bool
    smtp_host: str
    smtp_port: int
    smtp_tls: bool
    smtp_username: str
    has_smtp_password: bool
    signature: str
    auto_answer: bool
    created_at: datetime

    @staticmethod
    def resolve_department(obj) -> int | None:
        return obj.department_id

    @staticmethod
    def resolve_department_name(obj) -> str | None:
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_has_imap_password(obj) -> bool:
        return bool(obj.imap_password)

    @staticmethod
    def resolve_has_smtp_password(obj) -> bool:
        return bool(obj.smtp_password)


def _department(department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise DomainError(_("部门不存在。"), field="department")
    return department


@router.get("/mailboxes", response=list[MailboxOut])
def mailboxes_list(request):
    return list(mailbox_list(user=request.user))


@router.post("/mailboxes", response={201: MailboxOut})
def mailboxes_create(request, payload: MailboxIn):
    check_admin(request.user)  # 403 for a non-admin before any lookup
    data = payload.dict()
    data["department"] = _department(data["department"])
    mailbox = do_mailbox_create(actor=request.user, **data)
    return Status(201, access_mailbox(user=request.user, mailbox_id=mailbox.pk))


@router.get("/mailboxes/{mailbox_id}", response=MailboxOut)
def mailboxes_get(request, mailbox_id: int):
    return access_mailbox(user=request.user, mailbox_id=mailbox_id)


@router.patch("/mailboxes/{mailbox_id}", response=MailboxOut)
def mailboxes_update(request, mailbox_id: int, payload: MailboxPatch):
    mailbox = access_mailbox(user=request.user, mailbox_id=mailbox_id)
    changes = payload.dict(exclude_unset=True)
    for field in ("imap_password", "smtp_password"):
        if changes.get(field, "") is None:
            del changes[field]
    for field, value in list(changes.items()):
        if value is None and field != "department":
            raise DomainError(_("该字段不能为空。"), field=field)
    if "department" in changes:
        changes["department"] = _department(changes["department"])
    do_mailbox_update(actor=request.user, mailbox=mailbox, changes=changes)
    return access_mailbox(user=request.user, mailbox_id=mailbox_id)


@router.delete("/mailboxes/{mailbox_id}", response=MailboxOut)
def mailboxes_deactivate(request, mailbox_id: int):
    """Deactivate: no more fetching or sending; the mailbox's mail and tickets stay."""
    mailbox = access_mailbox(user=request.user, mailbox_id=mailbox_id)
    do_mailbox_deactivate(actor=request.user, mailbox=mailbox)
    return access_mailbox(user=request.user, mailbox_id=mailbox_id)


class DeliveryOut(Schema):
    message: int
    state: str  # queued | sent | failed
    error: str


@router.post("/messages/{message_id}/resend", response=DeliveryOut)
def messages_resend(request, message_id: int):
    """Send a failed e-mail reply again (same Message-ID): staff who may reply on its
    ticket. 409 unless it failed; 404 for a message not sent by e-mail or not visible."""
    outgoing = do_outgoing_resend(actor=request.user, message_id=message_id)
    delivery = message_delivery([outgoing.ticket_message])[outgoing.ticket_message_id]
    return {"message": outgoing.ticket_message_id, **delivery}
