"""Mailboxes made through the service, and raw e-mails built with the standard library as a
mail program would send them."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from huitou.accounts.models import User
from huitou.accounts.tests.factories import UserFactory
from huitou.mail.models import Mailbox
from huitou.mail.services import do_mailbox_create

ADMIN_USERNAME = "factory-mail-admin"


def mail_admin():
    return User.objects.filter(username=ADMIN_USERNAME).first() or UserFactory(
        username=ADMIN_USERNAME, role="admin"
    )


def make_mailbox(address: str = "service@huitou.example", **fields) -> Mailbox:
    fields.setdefault("name", "客服邮箱")
    fields.setdefault("imap_host", "127.0.0.1")
    fields.setdefault("imap_username", address)
    fields.setdefault("imap_password", "imap-secret")
    fields.setdefault("smtp_host", "127.0.0.1")
    fields.setdefault("smtp_username", address)
    fields.setdefault("smtp_password", "smtp-secret")
    return do_mailbox_create(actor=mail_admin(), address=address, **fields)


def make_mail(
    *,
    sender: str = "张伟 <zhangwei@example.cn>",
    to: str = "service@huitou.example",
    subject: str = "冰箱不制冷",
    body: str = "你好，我家冰箱昨天开始不制冷了，请帮忙看看。",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """A plain UTF-8 mail (RFC 2047 headers as the library writes them); `attachments` as
    (name, content type, payload)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="example.cn")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, content_type, payload in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
