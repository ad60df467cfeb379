"""A real IMAP server for the tests: Debian's dovecot (`apt-get install dovecot-imapd`; `make
test` does it when it may), started per test from its own configuration in a temporary folder,
listening on free loopback ports only. It never touches a system dovecot: its own base_dir
(sockets, pid file), state_dir, log files, users and mail. Messages reach it by IMAP APPEND,
as a mail server would deliver them.

Without dovecot the tests that need it are skipped, saying how to get it, except in CI (CI=true),
where a missing install fails them so that it is noticed."""

import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
OPENSSL = shutil.which("openssl")
START_TIMEOUT_SECONDS = 15
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def require_dovecot() -> None:
    if DOVECOT.is_file() and os.access(DOVECOT, os.X_OK):
        return
    reason = (
        f"the IMAP tests need dovecot at {DOVECOT}: install Debian's dovecot-imapd "
        "(apt-get install dovecot-imapd); `make test` does this when run as root"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _accounts() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid) for the server's processes. As root,
    dovecot's own system users (it refuses to run logins or mail as root); otherwise everything
    runs as the current user (a rootless dovecot)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me, os.getuid(), os.getgid()
    internal = pwd.getpwnam("dovecot")
    login = pwd.getpwnam("dovenull")
    return internal.pw_name, login.pw_name, internal.pw_uid, internal.pw_gid


@dataclass
class DovecotServer:
    """One dovecot process. `start()` returns once it greets on its IMAP port."""

    root: Path
    port: int = field(default_factory=free_port)
    tls_port: int | None = None
    cafile: Path | None = None
    process: subprocess.Popen | None = None
    users: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.internal_user, self.login_user, self.mail_uid, self.mail_gid = _accounts()
        self.conf = self.root / "dovecot.conf"
        self.passwd = self.root / "passwd"
        self.log = self.root / "dovecot.log"

    # -- configuration ------------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        """A mail account with a plain-text password and its own maildir. Dovecot re-reads the
        passwd-file when it changes, so users may be added to a running server."""
        self.users[user] = password
        home = self.root / "home"
        lines = [
            f"{name}:{{PLAIN}}{secret}:{self.mail_uid}:{self.mail_gid}::{home / name}"
            for name, secret in self.users.items()
        ]
        self.passwd.write_text("\n".join(lines) + "\n")
        # Make the change visible to dovecot's mtime check even within the same second.
        stamp = time.time() + len(self.users)
        os.utime(self.passwd, (stamp, stamp))

    def _make_certificate(self) -> None:
        """A self-signed certificate for 127.0.0.1, for the IMAPS listener (needs openssl)."""
        key, cert = self.root / "key.pem", self.root / "cert.pem"
        subprocess.run(
            [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
             "-addext", f"subjectAltName=IP:{HOST}",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        self.cafile = cert
        self.tls_port = free_port()

    def _write_config(self) -> None:
        r = self.root
        (r / "home").mkdir(exist_ok=True)
        tls = self.cafile is not None
        ssl = (
            f"ssl = yes\nssl_cert = <{r / 'cert.pem'}\nssl_key = <{r / 'key.pem'}\n"
            if tls
            else "ssl = no\n"
        )
        imaps = (
            f"  inet_listener imaps {{\n    address = {HOST}\n    port = {self.tls_port}\n"
            "    ssl = yes\n  }\n"
            if tls
            else "  inet_listener imaps {\n    port = 0\n  }\n"
        )
        self.conf.write_text(
            f"base_dir = {r / 'run'}\n"
            f"state_dir = {r / 'state'}\n"
            f"log_path = {self.log}\n"
            "protocols = imap\n"
            f"listen = {HOST}\n"
            f"{ssl}"
            "disable_plaintext_auth = no\n"
            "auth_mechanisms = plain login\n"
            "auth_failure_delay = 0\n"  # a refused login answers at once
            f"default_internal_user = {self.internal_user}\n"
            f"default_internal_group = {grp.getgrgid(self.mail_gid).gr_name}\n"
            f"default_login_user = {self.login_user}\n"
            f"first_valid_uid = {self.mail_uid}\n"
            "passdb {\n  driver = passwd-file\n"
            f"  args = scheme=PLAIN username_format=%u {self.passwd}\n}}\n"
            "userdb {\n  driver = passwd-file\n"
            f"  args = username_format=%u {self.passwd}\n}}\n"
            "mail_location = maildir:~/Maildir\n"
            # No chroot: a rootless dovecot may not chroot, and this server is a test's.
            "service imap-login {\n  chroot =\n"
            f"  inet_listener imap {{\n    address = {HOST}\n    port = {self.port}\n  }}\n"
            f"{imaps}"
            "}\n"
            # The auth process finds no penalty socket under its usual name, so it adds no
            # growing delay to each login from an address that failed one (a test's refused
            # login would slow the next test's login by seconds).
            "service anvil {\n  chroot =\n"
            "  unix_listener anvil-auth-penalty {\n    path = anvil-auth-penalty-off\n  }\n}\n"
        )
        if os.geteuid() == 0:
            # The mail processes run as dovecot's user: they must reach and own the homes.
            os.chown(r / "home", self.mail_uid, self.mail_gid)

    # -- process ------------------------------------------------------------------------

    def start(self, *, tls: bool = False) -> "DovecotServer":
        if tls and OPENSSL:
            self._make_certificate()
        if not self.passwd.exists():
            self.passwd.write_text("")
        self._write_config()
        self.process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited ({self.process.returncode}):\n{self.logs()}")
            if self._greets():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on {HOST}:{self.port}:\n{self.logs()}")

    def _greets(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as conn:
                return conn.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # The whole group at once (the master and the children it forked, in the session it
        # was started in): a graceful stop takes a second for nothing a test needs.
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in (self.root / "stderr.log", self.log)
            if path.exists()
        )

    # -- what a test does with a mailbox ------------------------------------------------

    def connect(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4(HOST, self.port, timeout=10)
        client.login(user, self.users[user])
        return client

    def deliver(self, user: str, raw: bytes, *, folder: str = "INBOX") -> str:
        """APPEND a message as unseen; returns its UID."""
        client = self.connect(user)
        try:
            typ, data = client.append(folder, None, None, raw)
            assert typ == "OK", data
            # "[APPENDUID <validity> <uid>] Append completed."
            return data[0].decode().split("]")[0].split()[-1]
        finally:
            client.logout()

    def flags(self, user: str, *, folder: str = "INBOX") -> dict[str, set[str]]:
        """UID → flags of every message in the folder."""
        client = self.connect(user)
        try:
            client.select(folder, readonly=True)
            typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
            assert typ == "OK", data
            result = {}
            for item in data:
                if not item:
                    continue
                text = item.decode()
                uid = text.split("UID ")[1].split()[0].rstrip(")")
                flags = text.split("FLAGS (")[1].split(")")[0].split()
                result[uid] = set(flags)
            return result
        finally:
            client.logout()


@dataclass
class ImapAccount:
    """What the `imap_server` fixture yields: where to log in, and the server behind it."""

    host: str
    port: int
    user: str
    password: str
    server: DovecotServer
    tls_port: int | None = None
    cafile: Path | None = None

    def deliver(self, raw: bytes, *, folder: str = "INBOX") -> str:
        return self.server.deliver(self.user, raw, folder=folder)

    def flags(self, *, folder: str = "INBOX") -> dict[str, set[str]]:
        return self.server.flags(self.user, folder=folder)


@pytest.fixture
def imap_server():
    """A fresh dovecot with one account (service@example.com / its password) and an IMAPS
    port when openssl is there. A temporary folder outside pytest's tmp_path: as root the mail
    processes run as dovecot's user, who cannot enter pytest's private (0700) folders."""
    require_dovecot()
    root = Path(tempfile.mkdtemp(prefix="huitou-dovecot-"))
    root.chmod(0o755)
    server = DovecotServer(root)
    server.add_user("service@example.com", "s3cret-pass")
    try:
        server.start(tls=True)
        yield ImapAccount(
            host=HOST,
            port=server.port,
            user="service@example.com",
            password="s3cret-pass",
            server=server,
            tls_port=server.tls_port,
            cafile=server.cafile,
        )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
