from django.db import migrations


def seed(apps, schema_editor):
    from huitou.sla.defaults import CALENDARS, POLICIES, QUEUES, STEPS

    Calendar = apps.get_model("sla", "BusinessCalendar")
    Policy = apps.get_model("sla", "SlaPolicy")
    Step = apps.get_model("sla", "EscalationStep")
    Queue = apps.get_model("sla", "Queue")
    calendars = {
        name: Calendar.objects.get_or_create(name=name, defaults={"hours": hours})[0]
        for name, hours in CALENDARS
    }
    for name, order, conditions, calendar, first, following, resolution, dispatch, result in (
        POLICIES
    ):
        policy, created = Policy.objects.get_or_create(
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
                Step.objects.create(
                    policy=policy, metric=metric, trigger=trigger, value=value, action=action
                )
    for name, order, conditions, strategy in QUEUES:
        Queue.objects.get_or_create(
            name=name, defaults={"order": order, "strategy": strategy, **conditions}
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
