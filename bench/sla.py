"""`python -m bench.sla`: the SLA clock's two targets.

1. Due-time computation in-process: first-response and resolution due times for 100,000
   tickets on the office calendar (lunch breaks, nights, weekends, holidays) and the 7×24
   one. Target: at least 50,000 tickets/s. Baseline: the same loop with plain
   `start + timedelta` arithmetic, timed in the same run.
2. The periodic escalation sweep on PostgreSQL over 1,000,000 open-or-recent tickets with
   4,000,000 escalation rows: finding the due ones (the SKIP LOCKED claim of a batch) must
   take under 1 s. Baselines: a primary-key lookup, and a count of all pending rows (what a
   table scan costs), timed in the same run.

The benchmark creates its own database (`huitou_bench_sla`) and drops it at the end;
BENCH_SLA_DATABASE_URL names another one. `--tickets N` changes the size.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.archive import Database, setup_django

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/huitou_bench_sla"
DUE_TICKETS = 100_000
TARGET_RATE = 50_000
TARGET_SWEEP = 1.0


def median_time(call, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_due_times() -> None:
    from huitou.sla.business_time import ALWAYS_OPEN, BusinessCalendar
    from huitou.sla.defaults import CALENDARS

    office = BusinessCalendar(
        "Asia/Shanghai",
        dict(CALENDARS)["后台工作日"],
        holidays={date(2026, 10, day) for day in range(1, 8)},
        workdays={date(2026, 9, 27), date(2026, 10, 10)},
    )
    hotline = BusinessCalendar("Asia/Shanghai", ALWAYS_OPEN)
    rng = random.Random(5)
    base = datetime(2026, 9, 1, tzinfo=UTC)
    tickets = [
        (
            office if n % 4 else hotline,
            base + timedelta(minutes=rng.randrange(0, 90 * 24 * 60)),
            rng.choice([30, 120, 240]) * 60,
            rng.choice([450, 900, 1350]) * 60,
        )
        for n in range(DUE_TICKETS)
    ]

    def business():
        for calendar, start, first, resolution in tickets:
            calendar.add(start, first)
            calendar.add(start, resolution)

    def plain():
        for _calendar, start, first, resolution in tickets:
            start + timedelta(seconds=first)
            start + timedelta(seconds=resolution)

    business()  # warm the per-day interval cache, as a running process has it
    seconds = median_time(business, repeat=3)
    baseline = median_time(plain, repeat=3)
    rate = DUE_TICKETS / seconds
    verdict = "ok" if rate >= TARGET_RATE else "MISSED"
    print(
        f"due times: {rate:,.0f} tickets/s ({DUE_TICKETS:,} tickets in {seconds:.2f} s; "
        f"{seconds / baseline:.1f}× plain datetime arithmetic; target ≥ {TARGET_RATE:,}) {verdict}"
    )


def generate(tickets: int) -> None:
    """Tickets, clocks and escalation rows made by SQL (data generation is not measured)."""
    from django.db import connection

    from huitou.customers.models import Customer
    from huitou.sla.models import EscalationStep, SlaPolicy

    customer = Customer.objects.create(number="C0000000001", name="压测客户")
    policy = SlaPolicy.objects.get(name="默认")
    steps = list(EscalationStep.objects.filter(policy=policy).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (number, customer_id, channel, type, direction, subject,
                description, contact_name, contact_phone, priority, status, created_at, updated_at)
            SELECT 'B' || lpad(g::text, 10, '0'), %s, 'phone', 'consultation', 'inbound',
                '压测工单', '', '', '', 'normal',
                CASE WHEN g %% 10 < 7 THEN 'closed' ELSE 'open' END,
                now() - (g %% 43200) * interval '1 minute', now()
            FROM generate_series(1, %s) AS g
            """,
            [customer.pk, tickets],
        )
        cursor.execute(
            """
            INSERT INTO sla_ticketsla (ticket_id, policy_id, started_at, paused_seconds,
                first_response_due, resolution_due)
            SELECT id, %s, created_at, 0, created_at + interval '4 hours',
                created_at + interval '3 days'
            FROM tickets_ticket
            """,
            [policy.pk],
        )
        # Open tickets keep pending actions, spread over the coming days (a few due now);
        # closed ones keep their done or cancelled history.
        cursor.execute(
            """
            INSERT INTO sla_escalationaction (ticket_id, step_id, fire_at, status, worker)
            SELECT t.id, s.step,
                CASE WHEN t.status = 'open'
                    THEN now() + ((t.id * 7 + s.n * 131) %% 20000 - 20) * interval '1 minute'
                    ELSE t.created_at + s.n * interval '1 hour' END,
                CASE WHEN t.status = 'open' THEN 'pending'
                     WHEN s.n %% 2 = 0 THEN 'done' ELSE 'cancelled' END,
                ''
            FROM tickets_ticket t
            CROSS JOIN (SELECT step, row_number() OVER () AS n FROM unnest(%s::bigint[]) AS step) s
            """,
            [steps],
        )
        cursor.execute("ANALYZE")


def bench_sweep(db_url: str, tickets: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp), db_url)
        db = Database(db_url, Path(tmp))
        db.fresh()
        try:
            started = time.perf_counter()
            generate(tickets)
            print(f"generated {tickets:,} tickets in {time.perf_counter() - started:.0f} s")
            measure_sweep()
        finally:
            db.drop()


def measure_sweep() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from huitou.sla.escalation import BATCH, do_escalation_sweep
    from huitou.sla.models import EscalationAction
    from huitou.tickets.models import Ticket

    now = timezone.now()
    rows = EscalationAction.objects.count()
    pending = EscalationAction.objects.filter(status="pending").count()
    due = EscalationAction.objects.filter(status="pending", fire_at__lte=now).count()

    def claim():
        with transaction.atomic():
            list(
                EscalationAction.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status="pending", fire_at__lte=now)
                .order_by("fire_at", "pk")
                .values_list("pk", flat=True)[:BATCH]
            )

    some_id = Ticket.objects.order_by("pk").values_list("pk", flat=True).first()
    pk_lookup = median_time(lambda: Ticket.objects.filter(pk=some_id).exists(), repeat=21)
    scan = median_time(lambda: EscalationAction.objects.filter(status="pending").count(), repeat=3)
    found = median_time(claim, repeat=21)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM sla_escalationaction WHERE status = 'pending' "
            "AND fire_at <= now() ORDER BY fire_at, id LIMIT 200 FOR UPDATE SKIP LOCKED"
        )
        plan = " / ".join(line[0].strip() for line in cursor.fetchall()[:5])
    started = time.perf_counter()
    ran = do_escalation_sweep(now=now, worker="bench")
    sweep = time.perf_counter() - started
    verdict = "ok" if found < TARGET_SWEEP else "MISSED"
    print(f"escalation rows: {rows:,} ({pending:,} pending, {due:,} due now)")
    print(
        f"find due escalations: {found * 1000:.1f} ms ({found / pk_lookup:.0f}× a primary-key "
        f"lookup; {found / scan:.3f}× counting the pending rows; target < {TARGET_SWEEP:.0f} s)"
        f" {verdict}"
    )
    print(f"  plan: {plan}")
    print(f"full sweep running the {ran:,} due actions: {sweep:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tickets", type=int, default=int(os.environ.get("BENCH_SLA_TICKETS", "1000000"))
    )
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_SLA_DATABASE_URL") or DEFAULT_URL
    if not args.skip_sweep:
        bench_sweep(url, args.tickets)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            setup_django(Path(tmp), f"sqlite:///{tmp}/x.sqlite3")
    bench_due_times()
    return 0


if __name__ == "__main__":
    sys.exit(main())
