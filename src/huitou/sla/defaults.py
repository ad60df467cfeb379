"""The default service standards, as the courses state them; loaded by a data migration."""

from .models import BusinessCalendar, EscalationStep, Queue, SlaPolicy

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_HOURS = [["09:00", "12:00"], ["13:30", "18:00"]]  # 7.5 working hours a day
WORKING_DAY = 450  # minutes of OFFICE_HOURS

CALENDARS = [
    # (name, hours)
    ("热线 7×24", {day: [["00:00", "24:00"]] for day in (*WEEKDAYS, "sat", "sun")}),
    ("后台工作日", {day: OFFICE_HOURS for day in WEEKDAYS}),
]

# (name, order, conditions, calendar, first response, next response, resolution,
#  dispatch, department result) in working minutes.
POLICIES = [
    # Tier A complaint: first response in 30 working minutes, result in 1 working day.
    ("A 类客户投诉", 10, {"tier": "A", "ticket_type": "complaint"}, "后台工作日",
     30, 120, WORKING_DAY, 30, WORKING_DAY),
    # Complaints are replied to within 3 working days [004].
    ("投诉", 20, {"ticket_type": "complaint"}, "后台工作日",
     120, 240, 3 * WORKING_DAY, 120, 2 * WORKING_DAY),
    ("A 类客户", 30, {"tier": "A"}, "后台工作日", 30, 120, 2 * WORKING_DAY, None, None),
    ("紧急", 40, {"priority": "urgent"}, "热线 7×24", 30, 60, 8 * 60, None, None),
    ("默认", 1000, {}, "后台工作日", 240, 480, 3 * WORKING_DAY, None, None),
]  # fmt: skip

# Every policy: warn the assignee at 75 % of the resolution target, tell the supervisor
# at a breach of either target, raise the priority an hour after a resolution breach.
STEPS = [
    ("resolution", "percent", 75, "warn_assignee"),
    ("first_response", "breach", 0, "notify_supervisor"),
    ("resolution", "breach", 0, "notify_supervisor"),
    ("resolution", "after_breach", 60, "raise_priority"),
]

# (name, order, conditions, strategy): tier A customers go to the VIP desk [001, AT&T].
QUEUES = [
    ("VIP 专席", 10, {"tier": "A"}, "least_open"),
    ("投诉专席", 20, {"ticket_type": "complaint"}, "round_robin"),
    ("技术支持", 30, {"ticket_type": "technical"}, "round_robin"),
    ("综合队列", 1000, {}, "round_robin"),
]


def seed_defaults(*, calendar_model, policy_model, step_model, queue_model) -> None:
    """Create the default calendars, policies, steps and queues that are missing. Takes the
    models so that the data migration can pass its historical ones."""
    calendars = {
        name: calendar_model.objects.get_or_create(name=name, defaults={"hours": hours})[0]
        for name, hours in CALENDARS
    }
    for (
        name,
        order,
        conditions,
        calendar,
        first,
        following,
        resolution,
        dispatch,
        result,
    ) in POLICIES:
        policy, created = policy_model.objects.get_or_create(
            name=name,
            defaults={
                "order": order,
                "calendar": calendars[calendar],
                "first_response_minutes": first,
                "next_response_minutes": following,
                "resolution_minutes": resolution,
                "dispatch_minutes": dispatch,
                "department_result_minutes": result,
                **conditions,
            },
        )
        if created:
            for metric, trigger, value, action in STEPS:
                step_model.objects.create(
                    policy=policy, metric=metric, trigger=trigger, value=value, action=action
                )
    for name, order, conditions, strategy in QUEUES:
        queue_model.objects.get_or_create(
            name=name, defaults={"order": order, "strategy": strategy, **conditions}
        )


def ensure_sla_defaults() -> None:
    """The defaults, with the live models (e.g. after a test flushed the database)."""
    seed_defaults(
        calendar_model=BusinessCalendar,
        policy_model=SlaPolicy,
        step_model=EscalationStep,
        queue_model=Queue,
    )
