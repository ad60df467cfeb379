"""Demo SLA clocks on the stories' own times, the desk's queues staffed, and the customers'
tiers settled before their tickets are routed."""

from datetime import datetime

from huitou.accounts.models import User
from huitou.customers.models import Customer, TierChange
from huitou.customers.tiers import do_tier_recompute
from huitou.sla.clock import _schedule, compute_dues
from huitou.sla.models import AgentStatus, BusinessCalendar, EscalationAction, Queue, TicketSla

# Queue → members. agent4 is off duty in the demo, to show that rules skip them.
QUEUE_MEMBERS = {
    "VIP 专席": ["agent1", "agent2"],
    "投诉专席": ["agent3", "agent4"],
    "技术支持": ["agent2", "agent3"],
    "综合队列": ["agent1", "agent2", "agent3", "agent4"],
    "在线客服": ["agent1", "agent2", "agent3"],
}
# The live-chat desk: chats wait in line until an agent accepts them (接入), round the clock
# in the demo so a visitor meets a person whenever they try it.
CHAT_QUEUE = "在线客服"
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
OFF_DUTY = {"agent4"}


def settle_demo_tiers(*, customers: list[Customer], now: datetime) -> list[Customer]:
    """The tiers the demo's purchases give, before any ticket is filed.

    Routing (the VIP desk takes tier A) and the SLA policy read the customer's tier when a
    ticket comes in; a recompute after the tickets would leave former "A" prospects' tickets
    at the VIP desk. The tier the purchases give is the customer's tier since they were
    filed (the initial history row), not a change made today. Returns `customers` with
    their settled tiers."""
    do_tier_recompute(now=now)
    recomputed = TierChange.objects.filter(
        customer__in=customers, source=TierChange.Source.RECOMPUTE
    )
    settled = dict(recomputed.values_list("customer_id", "tier"))
    initial = list(
        TierChange.objects.filter(customer_id__in=settled, source=TierChange.Source.INITIAL)
    )
    for change in initial:
        change.tier = settled[change.customer_id]
    TierChange.objects.bulk_update(initial, ["tier"], batch_size=500)
    recomputed.delete()
    for customer in customers:
        customer.tier = settled.get(customer.pk, customer.tier)
    return customers


def backdate_sla_clocks(*, now: datetime) -> None:
    """Tickets were filed "now" and moved back in time afterwards: restart each clock at its
    ticket's creation. Escalations that would have come due in the past count as done
    (quietly), so starting the worker does not replay three months of alerts."""
    slas = list(TicketSla.objects.select_related("ticket", "policy__calendar"))
    for sla in slas:
        ticket = sla.ticket
        sla.started_at = ticket.created_at
        sla.first_response_at = ticket.first_response_at
        sla.resolved_at = ticket.resolved_at or ticket.closed_at
        sla.paused_at = ticket.updated_at if ticket.status == "pending" else None
        sla.paused_seconds = 0.0
        dues = compute_dues(sla.policy, sla.started_at)
        sla.first_response_due, sla.resolution_due = dues.first_response, dues.resolution
    TicketSla.objects.bulk_update(
        slas,
        [
            "started_at", "first_response_at", "resolved_at", "paused_at", "paused_seconds",
            "first_response_due", "resolution_due",
        ],
        batch_size=500,
    )  # fmt: skip
    for sla in slas:
        _schedule(sla, sla.ticket)
    past = EscalationAction.objects.filter(status=EscalationAction.Status.PENDING, fire_at__lt=now)
    for action in past.only("pk", "fire_at").iterator(chunk_size=1000):
        EscalationAction.objects.filter(pk=action.pk).update(
            status=EscalationAction.Status.DONE, done_at=action.fire_at, worker="demo"
        )


def chat_queue() -> Queue:
    calendar, _created = BusinessCalendar.objects.get_or_create(
        name="在线客服 7×24", defaults={"timezone": "Asia/Shanghai", "hours": ALL_DAY}
    )
    queue, _created = Queue.objects.get_or_create(
        name=CHAT_QUEUE,
        defaults={
            "order": 5,
            "channel": "chat",
            "strategy": Queue.Strategy.PULL,
            "calendar": calendar,
        },
    )
    return queue


def staff_queues() -> None:
    chat_queue()
    users = {user.username: user for user in User.objects.filter(username__startswith="agent")}
    for name, members in QUEUE_MEMBERS.items():
        queue = Queue.objects.filter(name=name).first()
        if queue is not None:
            queue.members.set([users[member] for member in members if member in users])
    for username, user in users.items():
        AgentStatus.objects.update_or_create(
            user=user, defaults={"on_duty": username not in OFF_DUTY, "capacity": 40}
        )
