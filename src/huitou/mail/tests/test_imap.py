"""Issue 14, items 1 and 6: the worker's IMAP fetch against a real dovecot (see dovecot.py),
exactly once: each e-mail one InboundMail, one ticket or one message, even when the fetch is
killed between storing a message and flagging it seen."""

import os
import signal
import subprocess
import sys

import pytest

from huitou.core.tests.smtp_worker import WORKER_SETTINGS, database_url, free_port
from huitou.mail import imap, tasks
from huitou.mail.models import InboundMail
from huitou.tickets.models import Message, Ticket

from . import dovecot
from .factories import make_mail, make_mailbox

imap_server = dovecot.imap_server  # the fixture: a fresh dovecot with one account

SEEN = "\\Seen"


def mailbox_of(account, **fields):
    fields = {
        "address": account.user,
        "imap_host": account.host,
        "imap_port": account.port,
        "imap_tls": False,
        "imap_username": account.user,
        "imap_password": account.password,
        **fields,
    }
    return make_mailbox(**fields)


def seen(account) -> dict[str, bool]:
    return {uid: SEEN in flags for uid, flags in account.flags().items()}


@pytest.mark.django_db
def test_two_new_mails_make_two_tickets_and_are_flagged_seen(imap_server):
    mailbox = mailbox_of(imap_server)
    first = imap_server.deliver(make_mail(subject="冰箱不制冷"))
    second = imap_server.deliver(make_mail(sender="li@example.cn", subject="洗衣机漏水"))

    report = imap.do_mailbox_fetch(mailbox=mailbox)

    assert report.ok and report.stored == [first, second] and report.already == []
    subjects = sorted(Ticket.objects.filter(channel="email").values_list("subject", flat=True))
    assert subjects == ["冰箱不制冷", "洗衣机漏水"]
    assert sorted(InboundMail.objects.values_list("imap_uid", flat=True)) == [first, second]
    assert seen(imap_server) == {first: True, second: True}


@pytest.mark.django_db
def test_a_reply_is_added_to_its_ticket_and_fetching_again_changes_nothing(imap_server):
    mailbox = mailbox_of(imap_server)
    imap_server.deliver(make_mail(message_id="<first@example.cn>"))
    imap.do_mailbox_fetch(mailbox=mailbox)
    ticket = Ticket.objects.get()

    imap_server.deliver(
        make_mail(
            subject="Re: 冰箱不制冷",
            body="师傅什么时候上门？",
            in_reply_to="<first@example.cn>",
            references="<first@example.cn>",
        )
    )
    report = imap.do_mailbox_fetch(mailbox=mailbox)
    again = imap.do_mailbox_fetch(mailbox=mailbox)

    assert len(report.stored) == 1
    assert again.ok and again.stored == again.already == []
    assert Ticket.objects.get() == ticket
    reply = InboundMail.objects.get(outcome=InboundMail.Outcome.REPLY)
    assert reply.ticket == ticket and "师傅什么时候上门" in reply.ticket_message.body
    assert Message.objects.filter(ticket=ticket, sender="customer").count() == 1
    assert all(seen(imap_server).values())


@pytest.mark.django_db
def test_a_refused_login_is_reported_and_the_other_mailboxes_are_still_fetched(imap_server):
    refused = mailbox_of(imap_server, address="wrong@example.com", imap_password="not-it")
    refused.imap_username = imap_server.user  # the right account, the wrong password
    refused.save(update_fields=["imap_username"])
    unreachable = mailbox_of(imap_server, address="gone@example.com", imap_port=free_port())
    good = mailbox_of(imap_server)
    uid = imap_server.deliver(make_mail())

    reports = {report.mailbox: report for report in imap.do_fetch_all()}

    assert "AUTHENTICATIONFAILED" in reports[refused.address].error
    assert "ConnectionRefusedError" in reports[unreachable.address].error
    assert reports[good.address].ok and reports[good.address].stored == [uid]
    assert InboundMail.objects.get().mailbox == good
    assert "not-it" not in reports[refused.address].error


@pytest.mark.django_db
def test_a_folder_that_does_not_exist_is_reported(imap_server):
    mailbox = mailbox_of(imap_server, imap_folder="客服/不存在")
    imap_server.deliver(make_mail())

    report = imap.do_mailbox_fetch(mailbox=mailbox)

    assert "MailboxFolderSelectError" in report.error and not report.stored
    assert not InboundMail.objects.exists()


@pytest.mark.django_db
def test_a_message_that_is_no_email_is_flagged_and_does_not_block_the_mailbox(imap_server):
    mailbox = mailbox_of(imap_server)
    junk = imap_server.deliver(b"\r\n\r\n")
    good = imap_server.deliver(make_mail())

    report = imap.do_mailbox_fetch(mailbox=mailbox)

    assert report.failed == [junk] and report.stored == [good]
    flags = imap_server.flags()
    assert {SEEN, imap.UNREADABLE_KEYWORD} <= flags[junk]
    assert SEEN in flags[good]
    assert imap.do_mailbox_fetch(mailbox=mailbox).failed == []  # not tried again


@pytest.mark.django_db
def test_a_message_that_fails_to_store_stays_unseen_and_is_taken_next_run(imap_server, monkeypatch):
    mailbox = mailbox_of(imap_server)
    first = imap_server.deliver(make_mail(subject="第一封"))
    second = imap_server.deliver(make_mail(sender="li@example.cn", subject="第二封"))
    ingest = imap.do_mail_ingest

    def fail_first(*, mailbox, raw, imap_uid):
        if imap_uid == first:
            raise RuntimeError("database away")
        return ingest(mailbox=mailbox, raw=raw, imap_uid=imap_uid)

    monkeypatch.setattr(imap, "do_mail_ingest", fail_first)
    report = imap.do_mailbox_fetch(mailbox=mailbox)
    assert report.failed == [first] and report.stored == [second]
    assert seen(imap_server) == {first: False, second: True}

    monkeypatch.setattr(imap, "do_mail_ingest", ingest)
    assert imap.do_mailbox_fetch(mailbox=mailbox).stored == [first]
    assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_a_server_gone_mid_fetch_is_reported_and_what_was_stored_stays(imap_server, monkeypatch):
    mailbox = mailbox_of(imap_server)
    first = imap_server.deliver(make_mail(subject="第一封"))
    imap_server.deliver(make_mail(sender="li@example.cn", subject="第二封"))
    ingest = imap.do_mail_ingest

    def store_then_lose_the_server(**kwargs):
        result = ingest(**kwargs)
        imap_server.server.stop()  # killed: the connection drops before the flag
        return result

    monkeypatch.setattr(imap, "do_mail_ingest", store_then_lose_the_server)
    report = imap.do_mailbox_fetch(mailbox=mailbox)

    assert report.error and report.stored == [first]
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["第一封"]


@pytest.mark.django_db
def test_the_limit_leaves_the_rest_for_the_next_run(imap_server):
    mailbox = mailbox_of(imap_server)
    uids = [imap_server.deliver(make_mail(sender=f"c{n}@example.cn")) for n in range(3)]

    first = imap.do_mailbox_fetch(mailbox=mailbox, limit=2)
    rest = imap.do_mailbox_fetch(mailbox=mailbox, limit=2)

    assert first.stored == uids[:2] and first.more
    assert rest.stored == uids[2:] and not rest.more


@pytest.mark.django_db
def test_imaps_checks_the_certificate_and_fetches(imap_server, monkeypatch):
    if imap_server.tls_port is None:
        # Like dovecot itself (tests/dovecot.py): CI must have it, a laptop may not.
        missing = "openssl is missing: no certificate for the IMAPS listener"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI: {missing}", pytrace=False)
        pytest.skip(missing)
    mailbox = mailbox_of(imap_server, imap_tls=True, imap_port=imap_server.tls_port)
    uid = imap_server.deliver(make_mail())

    untrusted = imap.do_mailbox_fetch(mailbox=mailbox)  # self-signed: refused
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.error and not untrusted.stored

    monkeypatch.setenv("SSL_CERT_FILE", str(imap_server.cafile))  # what a private CA does
    assert imap.do_mailbox_fetch(mailbox=mailbox).stored == [uid]


@pytest.mark.django_db
def test_the_minute_task_fetches_every_active_mailbox_and_respects_the_lock(imap_server):
    mailbox = mailbox_of(imap_server)
    make_mailbox(address="off@example.com", active=False, imap_port=free_port())
    make_mailbox(address="pipe@example.com", imap_host="")  # fed by `huitou mail ingest`
    uid = imap_server.deliver(make_mail())

    with tasks.FETCH_LOCK:  # another worker is fetching
        tasks.fetch_mail()
    assert not InboundMail.objects.exists()

    tasks.fetch_mail()
    assert InboundMail.objects.get().mailbox == mailbox
    assert seen(imap_server) == {uid: True}


# --- the fetch killed between storing and flagging --------------------------------------

# A child process on the test database that fetches the mailbox and kills itself (SIGKILL,
# nothing runs after it) where it would flag the first message seen: that message is stored
# and committed, the server still has it unseen, the second one is untouched.
KILLED_FETCH = """
import os, signal, sys
import django
django.setup()
from huitou.mail import imap
from huitou.mail.models import Mailbox
import os

def die_instead_of_flagging(client, uid, *flags):
    os.kill(os.getpid(), signal.SIGKILL)

imap.flag_seen = die_instead_of_flagging
imap.do_mailbox_fetch(mailbox=Mailbox.objects.get(pk=int(sys.argv[1])))
"""


def run_killed_fetch(mailbox, var_dir) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS,
        "DEBUG": "0",
        "DATABASE_URL": database_url(),
        "HUITOU_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-c", KILLED_FETCH, str(mailbox.pk)],
        env=env,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_a_fetch_killed_between_storing_and_flagging_changes_nothing_when_retried(
    imap_server, tmp_path
):
    mailbox = mailbox_of(imap_server)
    first = imap_server.deliver(make_mail(subject="冰箱不制冷"))
    second = imap_server.deliver(make_mail(sender="li@example.cn", subject="洗衣机漏水"))

    child = run_killed_fetch(mailbox, tmp_path)

    assert child.returncode == -signal.SIGKILL, child.stderr.decode(errors="replace")
    stored = InboundMail.objects.get()  # the first, committed before the kill
    assert stored.imap_uid == first and stored.ticket is not None
    assert seen(imap_server) == {first: False, second: False}
    messages = list(Message.objects.filter(ticket=stored.ticket).values_list("pk", flat=True))

    report = imap.do_mailbox_fetch(mailbox=mailbox)  # the next minute's run

    assert report.ok and report.already == [first] and report.stored == [second]
    assert InboundMail.objects.count() == 2
    assert InboundMail.objects.get(imap_uid=first) == stored
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["冰箱不制冷", "洗衣机漏水"]
    assert list(Message.objects.filter(ticket=stored.ticket).values_list("pk", flat=True)) == (
        messages
    )
    assert seen(imap_server) == {first: True, second: True}
