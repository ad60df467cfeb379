"""The write funnel and its events: who hears of a ticket change, in which order."""

from dataclasses import dataclass

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import Complaint
from huitou.core.errors import DomainError
from huitou.core.events import EventTable, Phase, Slot
from huitou.customers.tests.factories import CustomerFactory
from huitou.knowledge.bot import bot_user
from huitou.sla.calendars import compiled_calendar
from huitou.sla.models import TicketSla
from huitou.tickets.events import TICKET_EVENTS, TicketChanged, TicketOpened
from huitou.tickets.funnel import do_ticket_change, lock_ticket
from huitou.tickets.services import do_ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    """Every subscriber call, as (event, subscriber name), in the order they happen."""
    seen: list[tuple[str, str]] = []
    for (event_type, name), handler in list(TICKET_EVENTS.handlers.items()):

        def traced(event, _handler=handler, _key=(event_type.__name__, name)):
            seen.append(_key)
            return _handler(event)

        monkeypatch.setitem(TICKET_EVENTS.handlers, (event_type, name), traced)
    return seen


def registered(event_type) -> list[str]:
    """The table's order for `event_type`, of the subscribers installed apps registered that
    run inside the transaction (these tests never commit, so ON_COMMIT ones do not run)."""
    phases = {slot.name: slot.phase for slot in TICKET_EVENTS.slots[event_type]}
    return [
        name
        for name in TICKET_EVENTS.order(event_type)
        if (event_type, name) in TICKET_EVENTS.handlers and phases[name] is Phase.IN_TRANSACTION
    ]


def test_creating_a_complaint_for_a_department_calls_each_subscriber_once_in_the_stated_order(
    calls,
):
    agent = UserFactory(role="agent")
    department = DepartmentFactory(name="售后服务部")
    ticket = do_ticket_create(
        actor=agent,
        customer=CustomerFactory(),
        channel="phone",
        type="complaint",
        subject="冰箱漏水，师傅没上门",
        department=department,
    )

    opened = [name for event, name in calls if event == "TicketOpened"]
    assert opened == registered(TicketOpened)
    assert opened[:3] == ["sla.start_clock", "complaints.open_record", "sla.route"]
    # The dispatch happens inside complaints.open_record, after the clock started, so its
    # due time is the policy's department-result target (no fallback needed).
    _start, record, route = (calls.index(("TicketOpened", n)) for n in opened[:3])
    changed_during_record = [c for c in calls[record + 1 : route] if c[0] == "TicketChanged"]
    assert [name for _e, name in changed_during_record] == registered(TicketChanged)
    complaint = Complaint.objects.get(pk=ticket.pk)
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert complaint.state == "dispatched" and ticket.department == department
    assert sla.policy.department_result_minutes
    target = compiled_calendar(sla.policy.calendar).add(
        complaint.dispatched_at, sla.policy.department_result_minutes * 60
    )
    assert complaint.dispatch_due_at == target


def test_a_consultation_is_timed_and_routed_but_gets_no_complaint_record(calls):
    ticket = do_ticket_create(
        actor=UserFactory(role="agent"),
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="冰箱保修几年",
    )
    assert [n for e, n in calls if e == "TicketOpened"] == registered(TicketOpened)
    assert not Complaint.objects.filter(pk=ticket.pk).exists()


def test_a_name_missing_from_the_table_cannot_subscribe():
    with pytest.raises(ImproperlyConfigured, match="not a subscriber"):
        TICKET_EVENTS.subscribe(TicketOpened, "surveys.invite", lambda event: None)


@dataclass(frozen=True)
class Happened:
    what: str


def test_on_commit_subscribers_run_after_the_commit_and_never_after_a_rollback(
    django_capture_on_commit_callbacks,
):
    table = EventTable(
        {
            Happened: (
                Slot("inside", Phase.IN_TRANSACTION),
                Slot("after", Phase.ON_COMMIT),
            )
        }
    )
    seen = []
    table.subscribe(Happened, "after", lambda event: seen.append(("after", event.what)))
    table.subscribe(Happened, "inside", lambda event: seen.append(("inside", event.what)))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        table.emit(Happened("saved"))
        assert seen == [("inside", "saved")]
    assert seen == [("inside", "saved"), ("after", "saved")]

    seen.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        table.emit(Happened("undone"))
        raise RuntimeError
    assert seen == [("inside", "undone")] and callbacks == []


def test_an_in_transaction_subscriber_that_fails_undoes_the_change(monkeypatch):
    ticket = do_ticket_create(
        actor=UserFactory(role="agent"),
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="冰箱保修几年",
    )

    def refuse(event):
        raise DomainError("no", field="priority")

    monkeypatch.setitem(TICKET_EVENTS.handlers, (TicketChanged, "sla.clock"), refuse)
    with pytest.raises(DomainError), transaction.atomic():
        do_ticket_change(ticket=lock_ticket(ticket.pk), actor=None, changes={"priority": "high"})
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_the_funnel_refuses_a_holder_who_may_not_hold_the_ticket_whoever_asks():
    aftersales, logistics = DepartmentFactory(name="售后服务部"), DepartmentFactory(name="物流部")
    ticket = do_ticket_create(
        actor=UserFactory(role="supervisor"),
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="冰箱保修几年",
        department=aftersales,
    )
    other_handler = UserFactory(role="handler", department=logistics)
    bot = bot_user()
    for holder in (other_handler, bot):
        with pytest.raises(DomainError) as refused, transaction.atomic():
            do_ticket_change(
                ticket=lock_ticket(ticket.pk), actor=None, changes={"assignee": holder}
            )
        assert refused.value.field == "assignee"


def test_a_department_change_lets_go_of_the_old_departments_handler():
    aftersales, logistics = DepartmentFactory(name="售后服务部"), DepartmentFactory(name="物流部")
    handler = UserFactory(role="handler", department=aftersales)
    ticket = do_ticket_create(
        actor=UserFactory(role="supervisor"),
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="冰箱保修几年",
        department=aftersales,
        assignee=handler,
    )
    with transaction.atomic():
        old = do_ticket_change(
            ticket=lock_ticket(ticket.pk), actor=None, changes={"department": logistics}
        )
    ticket.refresh_from_db()
    assert ticket.assignee is None and set(old) == {"department", "assignee"}


@pytest.mark.django_db(transaction=True)
def test_the_funnel_works_only_inside_the_callers_transaction():
    ticket = do_ticket_create(
        actor=UserFactory(role="agent"),
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="冰箱保修几年",
    )
    with pytest.raises(RuntimeError, match="transaction"):
        do_ticket_change(ticket=ticket, actor=None, changes={"priority": "high"})
