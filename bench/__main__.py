"""`make bench`: timings as ratios against a baseline measured in the same run.

The machines are noisy, so absolute times mean little; each figure is divided by a
baseline (a trivial authenticated API call) timed alongside it.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(os.environ.get("BENCH_TICKETS", "2000"))


def setup_django(var_dir: Path) -> None:
    os.environ["HUITOU_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var_dir / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "huitou.config.settings.test"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(call, repeat: int = 30) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp))
        from django.test import Client

        from huitou.accounts.services import do_token_create
        from huitou.accounts.tests.factories import UserFactory
        from huitou.customers.tests.factories import CustomerFactory
        from huitou.tickets.tests.factories import TicketFactory

        agent = UserFactory(role="agent")
        _token, raw = do_token_create(user=agent)
        headers = {"Authorization": f"Bearer {raw}"}
        customers = CustomerFactory.create_batch(max(ROWS // 5, 1))
        for n in range(ROWS):
            TicketFactory(customer=customers[n % len(customers)], assignee=agent)
        client = Client()

        def get(path, **params):
            response = client.get(path, params, headers=headers)
            assert response.status_code == 200, response.content

        baseline = timed(lambda: get("/api/v1/me"))
        rows = [
            ("ticket list, 50 per page", timed(lambda: get("/api/v1/tickets", limit=50))),
            (
                "ticket search by phone",
                timed(lambda: get("/api/v1/tickets", q=customers[7].phone, limit=50)),
            ),
            ("customer list, 50 per page", timed(lambda: get("/api/v1/customers", limit=50))),
        ]
        print(f"baseline GET /api/v1/me: {baseline * 1000:.2f} ms ({ROWS} tickets)")
        for name, seconds in rows:
            print(f"{name:32s} {seconds * 1000:8.2f} ms  ratio {seconds / baseline:6.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
