from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, on_startup

from .imap import do_fetch_all

# Keeps two workers (or a run that outlasts its minute) from fetching the mailboxes at once.
FETCH_LOCK = HUEY.lock_task("mail-fetch")


@db_periodic_task(crontab(minute="*"))
@FETCH_LOCK
def fetch_mail() -> None:
    """Every minute: the new mail of every active mailbox with an IMAP server."""
    do_fetch_all()


@on_startup()
def release_fetch_lock() -> None:
    """A worker killed mid-fetch leaves the lock taken, and huey's locks do not expire (SQLite
    storage): a starting worker clears it, or mail would stop for good. Should another worker
    be fetching at that moment, the two overlap once, which is safe: a message stored twice is
    stored once (Message-ID), and flagging it seen twice is flagging it seen."""
    FETCH_LOCK.clear()
