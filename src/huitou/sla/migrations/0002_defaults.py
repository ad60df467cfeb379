"""The default service standards, as they were when this migration was written.

A frozen copy of huitou.sla.defaults (calendars, policies, steps, queues and the seeding
logic): editing that module changes what `ensure_sla_defaults()` creates, never what this
migration does to a new database.
"""

from django.db import migrations

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
    ("A 类客户投诉", 10, {"tier": "A", "ticket_type": "complaint"}, "后台工作日",
     30, 120, WORKING_DAY, 30, WORKING_DAY),
    ("投诉", 20, {"ticket_type": "complaint"}, "后台工作日",
     120, 240, 3 * WORKING_DAY, 120, 2 * WORKING_DAY),
    ("A 类客户", 30, {"tier": "A"}, "后台工作日", 30, 120, 2 * WORKING_DAY, None, None),
    ("紧急", 40, {"priority": "urgent"}, "热线 7×24", 30, 60, 8 * 60, None, None),
    ("默认", 1000, {}, "后台工作日", 240, 480, 3 * WORKING_DAY, None, None),
]  # fmt: skip

# (metric, trigger, value, action): the escalation steps of every new policy.
STEPS = [
    ("resolution", "percent", 75, "warn_assignee"),
    ("first_response", "breach", 0, "notify_supervisor"),
    ("resolution", "breach", 0, "notify_supervisor"),
    ("resolution", "after_breach", 60, "raise_priority"),
]

# (name, order, conditions, strategy)
QUEUES = [
    ("VIP 专席", 10, {"tier": "A"}, "least_open"),
    ("投诉专席", 20, {"ticket_type": "complaint"}, "round_robin"),
    ("技术支持", 30, {"ticket_type": "technical"}, "round_robin"),
    ("综合队列", 1000, {}, "round_robin"),
]


def seed(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    EscalationStep = apps.get_model("sla", "EscalationStep")
    Queue = apps.get_model("sla", "Queue")
    calendars = {
        name: BusinessCalendar.objects.get_or_create(name=name, defaults={"hours": hours})[0]
        for name, hours in CALENDARS
    }
    for name, order, conditions, calendar, *minutes in POLICIES:
        first, following, resolution, dispatch, result = minutes
        policy, created = SlaPolicy.objects.get_or_create(
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
                EscalationStep.objects.create(
                    policy=policy, metric=metric, trigger=trigger, value=value, action=action
                )
    for name, order, conditions, strategy in QUEUES:
        Queue.objects.get_or_create(
            name=name, defaults={"order": order, "strategy": strategy, **conditions}
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
