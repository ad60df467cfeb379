"""`huitou serve`: the web server and the background worker together, for one machine.

The web server is uvicorn running the ASGI application (config.asgi): pages, the API and
the WebSockets of live chat from one process, with the channel layer of the settings
(memory without REDIS_URL)."""

import signal
import subprocess
import sys

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def graceful_signal() -> signal.Signals:
    """The signal on which the huey consumer finishes its tasks before exiting (settings:
    HUEY["consumer"]["graceful_signal"]; huey's own default is SIGINT)."""
    name = (settings.HUEY.get("consumer") or {}).get("graceful_signal", "INT")
    return signal.SIGTERM if name == "TERM" else signal.SIGINT


def stop_worker(worker: subprocess.Popen | None, *, timeout: float | None = None) -> int | None:
    """Ask the worker to stop gracefully, give it time to finish what it is doing, and
    only then kill it. Returns its exit code."""
    if worker is None:
        return None
    if worker.poll() is None:
        if timeout is None:
            consumer = settings.HUEY.get("consumer") or {}
            timeout = (consumer.get("shutdown_timeout") or 30) + 5
        worker.send_signal(graceful_signal())
        try:
            worker.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return worker.returncode


def parse_addr(addr: str) -> tuple[str, int]:
    """ "HOST:PORT" (or just PORT) as given to --addr; a CommandError names what is wrong."""
    host, sep, port = addr.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", addr
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--addr: {addr!r} is not HOST:PORT (port 1-65535)")
    return host.strip("[]") or "127.0.0.1", int(port)


class Command(BaseCommand):
    help = "启动 Web 服务和后台任务进程（开发与单机部署）"

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--no-worker", action="store_true", help="do not start the worker")

    def handle(self, *args, addr: str, no_worker: bool, **options):
        host, port = parse_addr(addr)
        worker = None
        if not no_worker:
            # A separate process, as in production: the huey consumer with its own scheduler.
            # Its own session, so a Ctrl-C in the terminal reaches only this command, which
            # then stops the worker gracefully (huey would take SIGINT as "stop at once").
            worker = subprocess.Popen(
                [sys.executable, "-m", "huitou", "run_huey"], start_new_session=True
            )
            self.stdout.write(f"worker started (pid {worker.pid})")

        def on_term(*_args):
            stop_worker(worker)
            sys.exit(0)

        signal.signal(signal.SIGTERM, on_term)
        self.stdout.write(f"serving http://{host}:{port}/ (HTTP and WebSockets)")
        # The ASGI app is imported here, once settings are configured.
        from huitou.config.asgi import application

        config = uvicorn.Config(
            application,
            host=host,
            port=port,
            lifespan="off",
            log_level="info",
            ws="websockets-sansio",
        )
        try:
            uvicorn.Server(config).run()
        finally:
            stop_worker(worker)
