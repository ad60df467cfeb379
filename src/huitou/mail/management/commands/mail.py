"""`huitou mail ingest [--mailbox ADDRESS] < message.eml`: one raw e-mail from standard input,
for a mail server's pipe (Postfix `pipe`, procmail, an LMTP bridge).

The last line printed is the ticket's number, or `ignored: REASON` for mail that is stored
but never answered (an auto-reply, a bounce, a loop, a flood). Bad input exits 1 with the
reason on standard error, so the mail server keeps the message and reports the failure.
"""

import sys
from email.utils import getaddresses

from django.core.management.base import BaseCommand, CommandError

from huitou.mail.models import Mailbox
from huitou.mail.parsing import MailParseError, ParsedMail, parse_mail
from huitou.mail.selectors import mailbox_for_address
from huitou.mail.services import do_mail_ingest

# Where a delivery says whom it was for: the envelope's recipient first (a Bcc or an alias
# reaches us with our address only there), then the visible headers.
RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "to", "cc")
MAX_BYTES = 50 * 1024 * 1024  # beyond any mail server's message size limit


def recipient_mailbox(parsed: ParsedMail) -> Mailbox | None:
    for header in RECIPIENT_HEADERS:
        values = [parsed.headers.get(header, "")]
        for _name, address in getaddresses([value for value in values if value]):
            mailbox = mailbox_for_address(address)
            if mailbox is not None:
                return mailbox
    for address in [*parsed.to, *parsed.cc]:
        mailbox = mailbox_for_address(address)
        if mailbox is not None:
            return mailbox
    return None


class Command(BaseCommand):
    help = "邮件渠道：ingest [--mailbox ADDRESS] 从标准输入读取一封原始邮件"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser(
            "ingest",
            help="read one raw message from standard input; prints the ticket number last",
        )
        ingest.add_argument(
            "--mailbox",
            default="",
            help="the address it was delivered to (default: the only active mailbox, or the"
            " one the message's Delivered-To/To names)",
        )

    def handle(self, *args, action, **options):
        if action == "ingest":
            self.ingest(options["mailbox"])

    def read_stdin(self) -> bytes:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        raw = stream.read(MAX_BYTES + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > MAX_BYTES:
            raise CommandError(f"message larger than {MAX_BYTES} bytes")
        if not raw.strip():
            raise CommandError("no message on standard input")
        return raw

    def choose_mailbox(self, address: str, parsed: ParsedMail) -> Mailbox:
        if address:
            mailbox = mailbox_for_address(address)
            if mailbox is None:
                raise CommandError(f"no active mailbox {address!r} (see /admin/mail/mailbox/)")
            return mailbox
        active = list(Mailbox.objects.filter(active=True)[:2])
        if len(active) == 1:
            return active[0]
        if not active:
            raise CommandError("no active mailbox: add one in /admin/mail/mailbox/ first")
        mailbox = recipient_mailbox(parsed)
        if mailbox is None:
            raise CommandError(
                "several mailboxes are active and the message names none of them:"
                " give --mailbox ADDRESS"
            )
        return mailbox

    def ingest(self, address: str) -> None:
        raw = self.read_stdin()
        try:
            parsed = parse_mail(raw)
        except MailParseError as error:
            raise CommandError(f"not an e-mail message: {error}") from None
        mailbox = self.choose_mailbox(address.strip(), parsed)
        result = do_mail_ingest(mailbox=mailbox, raw=raw)
        if not result.created:
            self.stderr.write(f"already received ({result.inbound.message_id}): nothing changed")
        if result.ticket is not None:
            self.stdout.write(result.ticket.number)
        else:
            self.stdout.write(f"ignored: {result.ignored_reason}")
