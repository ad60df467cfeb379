"""`huitou serve`: the web server and the background worker together, for one machine."""

import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动 Web 服务和后台任务进程（开发与单机部署）"

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--no-worker", action="store_true", help="do not start the worker")

    def handle(self, *args, addr: str, no_worker: bool, **options):
        worker = None
        if not no_worker:
            # A separate process, as in production: the huey consumer with its own scheduler.
            worker = subprocess.Popen([sys.executable, "-m", "huitou", "run_huey"])
            self.stdout.write(f"worker started (pid {worker.pid})")

        def stop_worker(*_args):
            if worker and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop_worker(), sys.exit(0)))
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            stop_worker()
