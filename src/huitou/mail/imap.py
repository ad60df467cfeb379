"""Fetching a mailbox's new mail over IMAP, exactly once.

Each unseen message is stored first (do_mail_ingest: one transaction with its ticket or
message, unique per Message-ID and mailbox) and flagged \\Seen on the server after. A fetch
that dies between the two finds the message unseen next time; its ingest is then a no-op that
returns what was stored, and the message is flagged. Nothing else is done to the mailbox:
nothing is deleted, moved or expunged.

The only state kept on the server is the \\Seen flag: a message someone reads in the mailbox
by hand before the worker comes is not fetched (use a mailbox for the channel alone).
"""

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass, field

from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxFetchError, MailboxFlagError
from imap_tools.mailbox import BaseMailBox
from imap_tools.utils import check_command_status

from .models import Mailbox
from .parsing import MailParseError
from .services import do_mail_ingest

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30  # connect, and each answer: a hung server costs one run, not the worker
FETCH_LIMIT = 200  # messages per mailbox and run; the rest come next minute
# Set (with \Seen) on a message that is not an e-mail at all, so it is not fetched again and
# whoever looks into the mailbox can find it.
UNREADABLE_KEYWORD = "$HuitouUnreadable"
CONNECTION_ERRORS = (OSError, imaplib.IMAP4.error, ImapToolsError)


@dataclass
class FetchReport:
    """What one fetch of one mailbox did, by IMAP UID."""

    mailbox: str
    stored: list[str] = field(default_factory=list)  # new InboundMail rows
    already: list[str] = field(default_factory=list)  # stored by an earlier, interrupted run
    failed: list[str] = field(default_factory=list)  # left unseen (retried) or unreadable
    error: str = ""  # the connection or login failed: nothing was fetched after it
    more: bool = False  # the limit was reached: more mail waits for the next run

    @property
    def ok(self) -> bool:
        return not self.error and not self.failed


def connect(mailbox: Mailbox) -> BaseMailBox:
    """A logged-in connection with `mailbox.imap_folder` selected. IMAPS (implicit TLS,
    certificate checked against the system's CAs) unless the mailbox says imap_tls = False."""
    if mailbox.imap_tls:
        client = MailBox(
            mailbox.imap_host,
            mailbox.imap_port,
            timeout=TIMEOUT_SECONDS,
            ssl_context=ssl.create_default_context(),
        )
    else:
        client = MailBoxUnencrypted(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS)
    username, password = mailbox.imap_username, mailbox.imap_password
    try:
        if username.isascii() and password.isascii():
            client.login(username, password, initial_folder=mailbox.imap_folder or "INBOX")
        else:  # LOGIN takes ASCII only; AUTHENTICATE PLAIN carries UTF-8
            client.login_utf8(username, password, initial_folder=mailbox.imap_folder or "INBOX")
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: BaseMailBox) -> None:
    # Already gone: the server drops the session by itself.
    with contextlib.suppress(CONNECTION_ERRORS):
        client.logout()


def unseen_uids(client: BaseMailBox) -> list[str]:
    """UIDs of the unseen messages of the selected folder, oldest first (UIDs only grow)."""
    return sorted(client.uids("UNSEEN"), key=int)


def fetch_raw(client: BaseMailBox, uid: str) -> bytes | None:
    """The message exactly as the server keeps it; PEEK, so reading does not mark it seen.
    None when it is gone (expunged by someone since the search)."""
    result = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    check_command_status(result, MailboxFetchError)
    for item in result[1]:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def flag_seen(client: BaseMailBox, uid: str, *extra: str) -> None:
    """+FLAGS \\Seen on one UID. Plain STORE: imap_tools' flag() also EXPUNGEs, and what
    others marked deleted in this mailbox is not ours to expunge."""
    flags = " ".join(("\\Seen", *extra))
    result = client.client.uid("STORE", uid, "+FLAGS.SILENT", f"({flags})")
    check_command_status(result, MailboxFlagError)


def do_mailbox_fetch(*, mailbox: Mailbox, limit: int = FETCH_LIMIT) -> FetchReport:
    """Fetch the unseen mail of one mailbox: store each message, then flag it \\Seen. Never
    raises for the server's sake: a refused login or an unreachable server is logged and
    reported in `error`; a message that cannot be taken is logged, left unseen to be tried
    again next run (or flagged unreadable when it is no e-mail) and the others go on."""
    report = FetchReport(mailbox=mailbox.address)
    try:
        client = connect(mailbox)
    except CONNECTION_ERRORS as error:
        report.error = _describe(error)
        logger.warning("mail fetch %s: cannot log in: %s", mailbox.address, report.error)
        return report
    try:
        uids = unseen_uids(client)
        report.more = len(uids) > limit
        for uid in uids[:limit]:
            _take(client, mailbox=mailbox, uid=uid, report=report)
    except CONNECTION_ERRORS as error:  # the connection broke mid-way: the rest next run
        report.error = _describe(error)
        logger.warning("mail fetch %s: connection lost: %s", mailbox.address, report.error)
    finally:
        _close(client)
    if report.stored or report.failed:
        logger.info(
            "mail fetch %s: %d stored, %d already stored, %d failed",
            mailbox.address,
            len(report.stored),
            len(report.already),
            len(report.failed),
        )
    return report


def _take(client: BaseMailBox, *, mailbox: Mailbox, uid: str, report: FetchReport) -> None:
    raw = fetch_raw(client, uid)
    if raw is None:
        return
    try:
        result = do_mail_ingest(mailbox=mailbox, raw=raw, imap_uid=uid)
    except MailParseError as error:
        logger.warning("mail fetch %s: UID %s is no e-mail: %s", mailbox.address, uid, error)
        flag_seen(client, uid, UNREADABLE_KEYWORD)
        report.failed.append(uid)
        return
    except Exception:
        # Not this mailbox's fault (a bug, the database away): log it, leave the message
        # unseen so the next run tries it again, and go on with the others.
        logger.exception("mail fetch %s: UID %s could not be stored", mailbox.address, uid)
        report.failed.append(uid)
        return
    (report.stored if result.created else report.already).append(uid)
    flag_seen(client, uid)


def _describe(error: BaseException) -> str:
    text = str(error) or error.__class__.__name__
    return f"{error.__class__.__name__}: {text}"[:500]


def mailboxes_to_fetch():
    """Active mailboxes with an IMAP server (a mailbox fed only by `huitou mail ingest` has
    none)."""
    return Mailbox.objects.filter(active=True).exclude(imap_host="").order_by("pk")


def do_fetch_all(*, limit: int = FETCH_LIMIT) -> list[FetchReport]:
    """Fetch every mailbox in turn; one that fails (even by a bug) does not stop the rest."""
    reports = []
    for mailbox in mailboxes_to_fetch():
        try:
            reports.append(do_mailbox_fetch(mailbox=mailbox, limit=limit))
        except Exception as error:
            logger.exception("mail fetch %s failed", mailbox.address)
            reports.append(FetchReport(mailbox=mailbox.address, error=_describe(error)))
    return reports
