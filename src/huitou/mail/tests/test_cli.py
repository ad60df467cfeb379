"""`huitou mail ingest [--mailbox ADDRESS] < message.eml`, as a mail server's pipe runs it."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from huitou.core.tests.smtp_worker import database_url
from huitou.mail.models import InboundMail
from huitou.mail.tests.factories import make_mail, make_mailbox
from huitou.tickets.models import Ticket


def ingest(monkeypatch, capsys, raw: bytes, *args: str) -> list[str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("mail", "ingest", *args)
    return capsys.readouterr().out.strip().splitlines()


@pytest.mark.django_db
def test_a_new_mail_prints_its_ticket_number_last(monkeypatch, capsys):
    make_mailbox()

    lines = ingest(monkeypatch, capsys, make_mail())

    assert lines[-1] == Ticket.objects.get().number


@pytest.mark.django_db
def test_the_same_mail_again_prints_the_same_ticket(monkeypatch, capsys):
    mailbox = make_mailbox()
    raw = make_mail()

    first = ingest(monkeypatch, capsys, raw, "--mailbox", mailbox.address)[-1]
    again = ingest(monkeypatch, capsys, raw, "--mailbox", mailbox.address)[-1]

    assert first == again and Ticket.objects.count() == 1


@pytest.mark.django_db
def test_an_auto_reply_prints_ignored_and_its_reason(monkeypatch, capsys):
    make_mailbox()

    lines = ingest(monkeypatch, capsys, make_mail(headers={"Auto-Submitted": "auto-replied"}))

    assert lines[-1] == "ignored: auto_submitted"
    assert not Ticket.objects.exists() and InboundMail.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["To", "Delivered-To"])
def test_with_several_mailboxes_the_one_the_mail_was_for_takes_it(monkeypatch, capsys, header):
    make_mailbox("service@huitou.example")
    sales = make_mailbox("sales@huitou.example")
    if header == "To":
        raw = make_mail(to="Sales <SALES@huitou.example>")
    else:
        raw = make_mail(to="undisclosed-recipients:;", headers={"Delivered-To": sales.address})

    ingest(monkeypatch, capsys, raw)

    assert InboundMail.objects.get().mailbox == sales


@pytest.mark.django_db
def test_with_several_mailboxes_and_none_named_it_asks_for_one(monkeypatch, capsys):
    make_mailbox("service@huitou.example")
    make_mailbox("sales@huitou.example")

    with pytest.raises(CommandError, match="--mailbox"):
        ingest(monkeypatch, capsys, make_mail(to="someone@else.example"))
    assert not InboundMail.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "args", "message"),
    [
        (b"", (), "no message"),
        (b"   \n\n", (), "no message"),
        (b"hello, this is no mail\n", (), "not an e-mail"),
        (None, ("--mailbox", "nobody@huitou.example"), "no active mailbox"),
    ],
)
def test_bad_input_is_a_command_error(monkeypatch, capsys, raw, args, message):
    make_mailbox()

    with pytest.raises(CommandError, match=message):
        ingest(monkeypatch, capsys, make_mail() if raw is None else raw, *args)
    assert not InboundMail.objects.exists()


@pytest.mark.django_db
def test_without_an_active_mailbox_it_says_to_add_one(monkeypatch, capsys):
    with pytest.raises(CommandError, match="no active mailbox"):
        ingest(monkeypatch, capsys, make_mail())


def run(raw: bytes, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huitou.config.settings.test",
        "DATABASE_URL": database_url(),
    }
    return subprocess.run(
        [sys.executable, "-m", "huitou", "mail", "ingest", *args],
        input=raw,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_reads_standard_input_and_exits_by_outcome():
    mailbox = make_mailbox()

    done = run(make_mail(subject="发票 [咨询]"), "--mailbox", mailbox.address)
    empty = run(b"")
    unknown = run(make_mail(), "--mailbox", "nobody@huitou.example")

    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip().splitlines()[-1] == Ticket.objects.get().number
    assert empty.returncode == 1 and b"no message" in empty.stderr
    assert unknown.returncode == 1 and b"nobody@huitou.example" in unknown.stderr
