import threading
from collections import Counter

import pytest
from django.db import connections

from huitou.accounts.models import User
from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.sla.defaults import ensure_sla_defaults
from huitou.sla.models import AgentStatus, Queue
from huitou.sla.routing import do_agent_status_set
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_ticket_create


def create(actor, *, tier="C", type="consultation", n=0):
    return do_ticket_create(
        actor=actor, customer=CustomerFactory(tier=tier), channel="phone", type=type,
        subject=f"来电 {n}",
    )  # fmt: skip


@pytest.fixture
def general():
    return Queue.objects.get(name="综合队列")


@pytest.mark.django_db
def test_round_robin_spreads_tickets_evenly_and_skips_the_off_duty_agent(general):
    agents = [UserFactory(role="agent") for _ in range(4)]
    for agent in agents[:3]:
        AgentStatus.objects.create(user=agent, capacity=100)
    off_duty = agents[3]
    AgentStatus.objects.create(user=off_duty, on_duty=False, capacity=100)
    general.members.set(agents)
    caller = UserFactory(role="supervisor")
    for n in range(100):
        create(caller, n=n)
    counts = Counter(Ticket.objects.values_list("assignee", flat=True))
    assert off_duty.pk not in counts
    assert sorted(counts.values()) == [33, 33, 34]
    assert set(Ticket.objects.values_list("queue__name", flat=True)) == {"综合队列"}


@pytest.mark.django_db
def test_the_vip_queue_receives_tier_a_tickets(general):
    vip_agent, other = UserFactory(role="agent"), UserFactory(role="agent")
    Queue.objects.get(name="VIP 专席").members.set([vip_agent])
    general.members.set([other])
    caller = UserFactory(role="agent")
    vip = create(caller, tier="A")
    normal = create(caller, tier="B")
    assert (vip.queue.name, vip.assignee) == ("VIP 专席", vip_agent)
    assert (normal.queue.name, normal.assignee) == ("综合队列", other)


@pytest.mark.django_db
def test_least_open_capacity_and_skills(general):
    busy, free, full = (UserFactory(role="agent") for _ in range(3))
    general.strategy = "least_open"
    general.save()
    general.members.set([busy, free, full])
    AgentStatus.objects.create(user=full, capacity=0)
    caller = UserFactory(role="supervisor")
    for n in range(3):
        Ticket.objects.filter(pk=create(caller, n=n).pk).update(assignee=busy)
    ticket = create(caller)
    assert ticket.assignee == free
    do_agent_status_set(actor=caller, user=free, skills=["order"])
    assert create(caller).assignee == busy  # free only takes orders now; full has no room
    assert create(caller, type="order").assignee == free


@pytest.mark.django_db
def test_nobody_on_duty_leaves_the_ticket_unassigned_in_its_queue(general):
    agent = UserFactory(role="agent")
    general.members.set([agent])
    do_agent_status_set(actor=agent, user=agent, on_duty=False)
    ticket = create(agent)
    assert ticket.assignee is None and ticket.queue == general


@pytest.mark.django_db(transaction=True)
def test_assignment_is_race_free_under_concurrent_creation():
    ensure_sla_defaults()  # transactional tests start from a flushed database
    general = Queue.objects.get(name="综合队列")
    agents = [UserFactory(role="agent") for _ in range(4)]
    general.members.set(agents)
    caller_id = UserFactory(role="supervisor").pk
    customer = CustomerFactory()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def file(offset: int) -> None:
        try:
            caller = User.objects.get(pk=caller_id)
            start.wait()
            for n in range(10):
                do_ticket_create(
                    actor=caller, customer=customer, channel="phone", type="consultation",
                    subject=f"并发 {offset}-{n}",
                )  # fmt: skip
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = Counter(Ticket.objects.values_list("assignee", flat=True))
    assert sorted(counts.values()) == [10, 10, 10, 10]


@pytest.mark.django_db
def test_transfer_needs_a_reason_and_is_recorded(api_as, general):
    supervisor = UserFactory(role="supervisor")
    first, second = UserFactory(role="agent"), UserFactory(role="agent")
    ticket = create(supervisor)
    client = api_as(supervisor)
    refused = client.post(f"tickets/{ticket.pk}/transfer", {"assignee": second.pk, "reason": ""})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "reason"
    moved = client.post(
        f"tickets/{ticket.pk}/transfer", {"assignee": first.pk, "reason": "客户点名要陈静"}
    )
    assert moved.status_code == 200 and moved.json()["assignee"] == first.pk
    note = ticket.messages.get(public=False)
    assert "客户点名要陈静" in note.body
    general.members.set([first, second])
    to_queue = client.post(
        f"tickets/{ticket.pk}/transfer", {"queue": general.pk, "reason": "陈静下班了"}
    ).json()
    assert to_queue["assignee"] == second.pk  # the queue picks someone else
    other = api_as(UserFactory(role="agent"))
    assert (
        other.post(
            f"tickets/{ticket.pk}/transfer", {"assignee": first.pk, "reason": "x"}
        ).status_code
        == 403
    )  # not their ticket


@pytest.mark.django_db
def test_agents_set_their_own_duty_and_supervisors_set_capacity(api_as):
    agent = UserFactory(role="agent")
    client = api_as(agent)
    assert client.patch(f"sla/agents/{agent.pk}", {"on_duty": False}).json()["on_duty"] is False
    assert client.patch(f"sla/agents/{agent.pk}", {"capacity": 50}).status_code == 403
    other = UserFactory(role="agent")
    assert client.patch(f"sla/agents/{other.pk}", {"on_duty": False}).status_code == 403
    boss = api_as(UserFactory(role="supervisor"))
    body = boss.patch(f"sla/agents/{agent.pk}", {"capacity": 5, "skills": ["complaint"]}).json()
    assert (body["capacity"], body["skills"]) == (5, ["complaint"])
    assert boss.patch(f"sla/agents/{agent.pk}", {"skills": ["cooking"]}).status_code == 422
