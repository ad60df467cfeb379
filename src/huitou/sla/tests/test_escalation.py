import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections

from huitou.accounts.tests.factories import UserFactory
from huitou.core.models import Notification
from huitou.customers.tests.factories import CustomerFactory
from huitou.sla import escalation
from huitou.sla.defaults import ensure_sla_defaults
from huitou.sla.escalation import do_escalation_sweep
from huitou.sla.models import EscalationAction
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_ticket_create

from .conftest import sh


def make_tickets(count: int, agent) -> list[Ticket]:
    customer = CustomerFactory()
    return [
        do_ticket_create(
            actor=agent,
            customer=customer,
            channel="phone",
            type="consultation",
            subject=f"咨询 {n}",
        )
        for n in range(count)
    ]


@pytest.mark.django_db
def test_each_step_fires_once_at_its_time(clock):
    supervisor = UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    [ticket] = make_tickets(1, agent)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    assert do_escalation_sweep(now=sh(11, 23, 15)) == 0  # nothing due before 15:30
    assert do_escalation_sweep(now=sh(11, 23, 15, 30)) == 1  # first-response breach
    assert Notification.objects.filter(kind="sla_breach", recipient=supervisor).count() == 1
    assert do_escalation_sweep(now=sh(11, 23, 15, 30)) == 0  # never twice
    # 75 % of 22.5 working hours after Monday 10:00: 6.5 h Monday, 7.5 h Tuesday, and
    # 2 h 52 min 30 s on Wednesday morning.
    assert do_escalation_sweep(now=sh(11, 25, 11, 52)) == 0
    assert do_escalation_sweep(now=sh(11, 25, 11, 53)) == 1
    assert Notification.objects.filter(kind="sla_warning", recipient=agent).count() == 1
    # Breach at Thursday 10:00, then the priority goes up an hour of working time later.
    assert do_escalation_sweep(now=sh(11, 26, 11)) == 2
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert EscalationAction.objects.filter(ticket=ticket, status="done").count() == 4


@pytest.mark.django_db
def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(clock, monkeypatch):
    UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    make_tickets(3, agent)
    real_run = escalation._run
    calls = {"n": 0}

    def killed_on_second(action, ticket, *, now):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")  # not an error an action could catch
        real_run(action, ticket, now=now)

    monkeypatch.setattr(escalation, "_run", killed_on_second)
    with pytest.raises(SystemExit):
        do_escalation_sweep(now=sh(11, 23, 15, 30))
    # The open transaction died with the worker: no action done, no notification sent.
    assert not EscalationAction.objects.filter(status="done").exists()
    assert not Notification.objects.exists()

    monkeypatch.setattr(escalation, "_run", real_run)
    assert do_escalation_sweep(now=sh(11, 23, 15, 30)) == 3
    assert Notification.objects.filter(kind="sla_breach").count() == 3
    assert do_escalation_sweep(now=sh(11, 23, 15, 30)) == 0


@pytest.mark.django_db
def test_a_failing_action_stays_pending_without_undoing_the_others(clock, monkeypatch):
    UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    tickets = make_tickets(3, agent)
    real_run = escalation._run

    def broken_for_one(action, ticket, *, now):
        if ticket.pk == tickets[1].pk:
            raise RuntimeError("mail server down")
        real_run(action, ticket, now=now)

    monkeypatch.setattr(escalation, "_run", broken_for_one)
    assert do_escalation_sweep(now=sh(11, 23, 15, 30)) == 2
    assert EscalationAction.objects.get(
        ticket=tickets[1], status="pending", step__trigger="breach", step__metric="first_response"
    )
    monkeypatch.setattr(escalation, "_run", real_run)
    assert do_escalation_sweep(now=sh(11, 23, 15, 30)) == 1


@pytest.mark.django_db
def test_a_done_step_stays_done_when_the_clock_moves(clock):
    from huitou.tickets.services import do_ticket_update

    agent = UserFactory(role="agent")
    [ticket] = make_tickets(1, agent)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    assert do_escalation_sweep(now=sh(11, 25, 11, 53)) == 2  # first-response breach, 75 %
    clock.set(sh(11, 25, 12))
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "pending"})
    clock.set(sh(11, 25, 14))
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "open"})
    assert do_escalation_sweep(now=sh(11, 26, 10)) == 0  # the 75 % warning is not repeated
    assert Notification.objects.filter(kind="sla_warning").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_fire_each_action_exactly_once(clock):
    """Two workers (threads with their own connections: PostgreSQL in CI) share the rows."""
    ensure_sla_defaults()  # transactional tests start from a flushed database
    UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    make_tickets(120, agent)
    due = EscalationAction.objects.filter(fire_at__lte=sh(11, 23, 15, 30), status="pending")
    expected = due.count()
    assert expected == 120
    escalation.BATCH, old_batch = 10, escalation.BATCH  # many small claims interleave
    counts: dict[str, int] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        try:
            start.wait()
            counts[name] = do_escalation_sweep(now=sh(11, 23, 15, 30), worker=name)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        escalation.BATCH = old_batch

    assert errors == []
    assert counts["w1"] + counts["w2"] == expected
    done = EscalationAction.objects.filter(status="done")
    assert done.count() == expected
    assert set(done.values_list("worker", flat=True)) <= {"w1", "w2"}
    assert Notification.objects.filter(kind="sla_breach").count() == expected


@pytest.mark.django_db
def test_a_reassign_step_gives_the_ticket_to_another_on_duty_member(clock):
    from huitou.sla.models import EscalationStep, Queue, SlaPolicy

    first, second = UserFactory(role="agent"), UserFactory(role="agent")
    queue = Queue.objects.get(name="综合队列")
    queue.members.set([first, second])
    policy = SlaPolicy.objects.get(name="默认")
    EscalationStep.objects.create(
        policy=policy, metric="first_response", trigger="after_breach", value=30, action="reassign"
    )
    [ticket] = make_tickets(1, UserFactory(role="agent"))
    ticket.refresh_from_db()
    owner = ticket.assignee
    do_escalation_sweep(now=sh(11, 23, 16) + timedelta(minutes=1))
    ticket.refresh_from_db()
    assert ticket.assignee in (first, second) and ticket.assignee != owner


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="row locks: SQLite locks the whole database, so there is no row to skip",
)
@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_a_ticket_being_changed_and_never_deadlocks(clock):
    """A ticket locked by someone (PostgreSQL in CI) is skipped, not waited for; once that
    change is in, the sweep sees the step no longer applies."""
    import threading

    from django.db import transaction

    from huitou.sla.defaults import ensure_sla_defaults
    from huitou.tickets.services import do_ticket_update

    ensure_sla_defaults()
    UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    [ticket] = make_tickets(1, agent)
    locked, release = threading.Event(), threading.Event()

    def resolver():
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=ticket.pk)
                locked.set()
                release.wait(10)
                do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})
        finally:
            connections.close_all()

    thread = threading.Thread(target=resolver)
    thread.start()
    assert locked.wait(10)
    try:
        assert do_escalation_sweep(now=sh(11, 23, 15, 30)) == 0  # busy ticket: skipped
    finally:
        release.set()
        thread.join()
        connections.close_all()
    assert do_escalation_sweep(now=sh(11, 26, 12)) == 0  # resolved meanwhile: nothing fires
    assert not Notification.objects.filter(kind__startswith="sla").exists()
