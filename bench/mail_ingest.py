"""`python -m bench.mail_ingest`: ingesting 1,000 queued messages.

The messages are the test corpus (src/huitou/mail/tests/corpus/*.eml: GBK, Big5, Outlook and
Foxmail HTML, forwarded mail, inline images, a malformed header, auto-replies and a bounce)
drawn at random, each with a fresh Message-ID and, unless it is an auto-reply or a bounce, a
fresh sender; about a quarter answer an earlier mail of the same sender (In-Reply-To and
References), as a queue of real mail would. Generation is deterministic (`--seed`) and not
measured.

Measured, each on a fresh database:
1. `do_mail_ingest` over all of them, one after the other (what `huitou mail ingest` or a
   backlog does);
2. the same through IMAP: the messages sit unseen in a real dovecot (see
   src/huitou/mail/tests/dovecot.py) and `do_mailbox_fetch` runs until the folder is empty,
   200 per run as the worker does (skipped, saying why, without /usr/sbin/dovecot).
Baselines timed in the same run, since the machines are noisy: `parse_mail` alone over the
same messages (the parsing share), and `do_ticket_create` of as many plain tickets (the
database's share). Tasks (the outbox's delivery of acknowledgements and notifications) are
queued for a worker, as in production, not run: sending is bench/mail.py's figure. Figures
are messages per second and the ratio of each time to the baselines.

It runs on a temporary SQLite file, then on PostgreSQL when BENCH_DATABASE_URL or
TEST_POSTGRES_URL is set (a database of its own, `huitou_bench_mail` on that server, created
and dropped here, as bench/archive.py does).
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.archive import Database

CORPUS = Path(__file__).resolve().parents[1] / "src/huitou/mail/tests/corpus"
OWN_NAME = "huitou_bench_mail"
MAILBOX = "service@example.com"  # also the dovecot account
REPLY_SHARE = 0.25
# Fewer auto-replies than people: four of the corpus's files are machines talking.
AUTO_WEIGHT = 0.4
DROPPED = {b"message-id", b"from", b"in-reply-to", b"references", b"return-path"}
HEADER_END = re.compile(rb"\r?\n\r?\n")
SURNAMES = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou"]
DOMAINS = ["qq.com", "163.com", "126.com", "foxmail.com", "gmail.com", "outlook.com", "sina.com"]


# -- the messages ---------------------------------------------------------------------------


def split_headers(raw: bytes) -> tuple[list[bytes], bytes]:
    """(header fields, each with its folded lines; the rest from the blank line on)."""
    match = HEADER_END.search(raw)
    head, rest = (raw[: match.start()], raw[match.start() :]) if match else (raw, b"\n\n")
    fields: list[bytes] = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\n" + line
        else:
            fields.append(line)
    return fields, rest


def field_name(field: bytes) -> bytes:
    return field.split(b":", 1)[0].strip().lower()


def rewritten(raw: bytes, *, message_id: str, sender: str | None, in_reply_to: str) -> bytes:
    """The same mail with a new Message-ID, sender (None: keep the machine's own) and thread."""
    fields, rest = split_headers(raw)
    keep_from = sender is None
    kept = [
        f
        for f in fields
        if field_name(f) not in DROPPED or (keep_from and f.lower().startswith(b"from:"))
    ]
    new = [f"Message-ID: {message_id}".encode()]
    if sender is not None:
        display = b""
        for f in fields:
            if field_name(f) == b"from" and b"<" in f:
                display = f.split(b":", 1)[1].rsplit(b"<", 1)[0].strip()
        new.append(b"From: " + (display + b" " if display else b"") + f"<{sender}>".encode())
    if in_reply_to:
        new += [f"In-Reply-To: {in_reply_to}".encode(), f"References: {in_reply_to}".encode()]
    return b"\n".join(new + kept) + rest


def build_messages(count: int, seed: int) -> tuple[list[bytes], dict[str, int]]:
    from huitou.mail.parsing import parse_mail

    rng = random.Random(seed)
    corpus = sorted(CORPUS.glob("*.eml"))
    raws = [path.read_bytes() for path in corpus]
    automatic = [bool(parse_mail(raw).auto_reason) for raw in raws]
    weights = [AUTO_WEIGHT if auto else 1.0 for auto in automatic]
    earlier: list[tuple[str, str]] = []  # (Message-ID, sender) of mails from people
    threads: dict[str, int] = {}  # sender → mails sent, kept under the flood limit
    messages, mix = [], {"new": 0, "reply": 0, "auto": 0}
    for n in range(count):
        index = rng.choices(range(len(raws)), weights)[0]
        message_id = f"<bench-{seed}-{n}.{rng.getrandbits(48):012x}@mail.example.cn>"
        if automatic[index]:
            messages.append(
                rewritten(raws[index], message_id=message_id, sender=None, in_reply_to="")
            )
            mix["auto"] += 1
            continue
        answered = ""
        if earlier and rng.random() < REPLY_SHARE:
            answered, sender = rng.choice(earlier)
            mix["reply"] += 1
        else:
            sender = f"{rng.choice(SURNAMES)}.{n}@{rng.choice(DOMAINS)}"
            mix["new"] += 1
        threads[sender] = threads.get(sender, 0) + 1
        earlier.append((message_id, sender))
        if threads[sender] >= 10:  # a long thread: its sender writes no more here
            earlier = [item for item in earlier if item[1] != sender]
        messages.append(
            rewritten(raws[index], message_id=message_id, sender=sender, in_reply_to=answered)
        )
    return messages, mix


# -- measuring ------------------------------------------------------------------------------


def setup_django(var_dir: Path, url: str) -> None:
    os.environ["HUITOU_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "huitou.config.settings.test"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()


def ingest_all(messages: list[bytes]) -> dict[str, int]:
    from huitou.mail.services import do_mail_ingest
    from huitou.mail.tests.factories import make_mailbox

    mailbox = make_mailbox(MAILBOX, imap_host="")
    outcomes: dict[str, int] = {}
    for raw in messages:
        result = do_mail_ingest(mailbox=mailbox, raw=raw)
        outcomes[result.inbound.outcome] = outcomes.get(result.inbound.outcome, 0) + 1
    return outcomes


def parse_all(messages: list[bytes]) -> int:
    from huitou.mail.parsing import parse_mail

    return sum(len(parse_mail(raw).text) for raw in messages)


def tickets_baseline(count: int) -> float:
    """Seconds for `count` do_ticket_create calls (customers made beforehand, not timed)."""
    from huitou.customers.services import do_customer_create
    from huitou.mail.services import mail_user
    from huitou.tickets.services import do_ticket_create

    actor = mail_user()
    customers = [
        do_customer_create(actor=actor, name=f"基准客户{n}", email=f"base{n}@example.cn")
        for n in range(50)
    ]
    start = time.perf_counter()
    for n in range(count):
        do_ticket_create(
            actor=actor,
            customer=customers[n % len(customers)],
            channel="email",
            type="consultation",
            subject=f"基准工单 {n}",
            description="冰箱不制冷，请帮忙看看。",
        )
    return time.perf_counter() - start


def imap_fetch(messages: list[bytes]) -> tuple[float, dict[str, int]] | str:
    """(seconds to fetch everything, outcomes), or why it was skipped."""
    from huitou.mail import imap
    from huitou.mail.models import InboundMail
    from huitou.mail.tests import dovecot
    from huitou.mail.tests.factories import make_mailbox

    if not (dovecot.DOVECOT.is_file() and os.access(dovecot.DOVECOT, os.X_OK)):
        return f"skipped: no {dovecot.DOVECOT} (apt-get install dovecot-imapd)"
    # As root the mail processes run as dovecot's user, who must reach the folder.
    root = Path(tempfile.mkdtemp(prefix="huitou-bench-dovecot-"))
    root.chmod(0o755)
    server = dovecot.DovecotServer(root)
    server.add_user(MAILBOX, "bench-pass")
    try:
        server.start()
        client = server.connect(MAILBOX)
        try:  # delivery, as a mail server would do it: not measured
            for raw in messages:
                typ, data = client.append("INBOX", None, None, raw)
                assert typ == "OK", data
        finally:
            client.logout()
        mailbox = make_mailbox(
            MAILBOX,
            imap_host=dovecot.HOST,
            imap_port=server.port,
            imap_tls=False,
            imap_username=MAILBOX,
            imap_password="bench-pass",
        )
        runs, start = 0, time.perf_counter()
        while True:
            report = imap.do_mailbox_fetch(mailbox=mailbox)
            runs += 1
            assert not report.error and not report.failed, report
            if not report.more:
                break
        seconds = time.perf_counter() - start
        assert not any("\\Seen" not in flags for flags in server.flags(MAILBOX).values())
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    outcomes: dict[str, int] = {}
    for outcome in InboundMail.objects.values_list("outcome", flat=True):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    outcomes["fetch runs"] = runs
    return seconds, outcomes


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def run_one(url: str, count: int, seed: int) -> int:
    """Everything on one database (this process sets Django up for it alone)."""
    with tempfile.TemporaryDirectory(prefix="huitou-bench-") as tmp:
        var_dir = Path(tmp)
        db = Database(url, var_dir)
        if db.postgres and db.name != OWN_NAME and db.exists():
            raise SystemExit(f"database {db.name} already exists; drop it or choose another")
        setup_django(var_dir, url)
        from django.conf import settings
        from django.db import connection
        from huey.contrib.djhuey import HUEY
        from huey.storage import SqliteStorage

        settings.MEDIA_ROOT = var_dir / "media"
        # Queue tasks as the web process does (the worker sends the outbox's mail, not the
        # ingest): the test settings would run each one at once, inside the measured loop.
        HUEY._immediate = False
        HUEY.storage = SqliteStorage(name=HUEY.name, filename=str(var_dir / "huey.sqlite3"))
        messages, mix = build_messages(count, seed)
        size = sum(map(len, messages)) / count / 1024
        try:
            parse_seconds = min(timed(parse_all, messages)[0] for _ in range(2))
            db.fresh()
            ingest_seconds, outcomes = timed(ingest_all, messages)
            db.fresh()
            ticket_seconds = tickets_baseline(count)
            db.fresh()
            fetched = imap_fetch(messages)
            server = (
                f"{connection.display_name} {'.'.join(map(str, connection.get_database_version()))}"
            )
        finally:
            db.drop()
    where = f"PostgreSQL database {db.name}" if db.postgres else "a temporary SQLite file"
    print(f"\n== {count:,} messages on {server} ({where})")
    print(
        f"mix: {mix['new']} new, {mix['reply']} replies to earlier ones, {mix['auto']} "
        f"auto-replies/bounces/bulk; {size:.1f} KiB on average"
    )
    print(f"ingest outcomes: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}")

    def row(name: str, seconds: float) -> None:
        print(
            f"{name:34s} {seconds:8.2f} s {count / seconds:9.1f} msg/s"
            f"  ÷parse {seconds / parse_seconds:6.1f}×  ÷tickets {seconds / ticket_seconds:5.2f}×"
        )

    row("baseline: parse_mail alone", parse_seconds)
    row("baseline: do_ticket_create", ticket_seconds)
    row("do_mail_ingest, one after another", ingest_seconds)
    if isinstance(fetched, str):
        print(f"{'IMAP fetch from dovecot':34s} {fetched}")
    else:
        seconds, imap_outcomes = fetched
        row("IMAP fetch from dovecot", seconds)
        print(f"IMAP outcomes: {', '.join(f'{k} {v}' for k, v in sorted(imap_outcomes.items()))}")
    print("÷parse, ÷tickets: seconds over the baseline's seconds for as many messages/tickets")
    return 0


def postgres_url() -> str | None:
    """The benchmark's own database on the server BENCH_DATABASE_URL or TEST_POSTGRES_URL
    names (never that database itself: the tests use it)."""
    given = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_POSTGRES_URL")
    if not given:
        return None
    return urlunsplit(urlsplit(given)._replace(path=f"/{OWN_NAME}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail_ingest", description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)  # one database, in-process
    args = parser.parse_args(argv)
    if args.database_url:
        return run_one(args.database_url, args.messages, args.seed)
    urls = ["sqlite:///{tmp}/bench-mail.sqlite3"]
    if url := postgres_url():
        urls.append(url)
    else:
        print("(PostgreSQL: set BENCH_DATABASE_URL or TEST_POSTGRES_URL to run there too)")
    code = 0
    with tempfile.TemporaryDirectory(prefix="huitou-bench-mail-") as tmp:
        for url in urls:
            # A process per database: Django is set up once per process.
            command = [sys.executable, "-m", "bench.mail_ingest", "--database-url"]
            command += [url.format(tmp=tmp), f"--messages={args.messages}", f"--seed={args.seed}"]
            code = subprocess.run(command, check=False).returncode or code
    return code


if __name__ == "__main__":
    sys.exit(main())
