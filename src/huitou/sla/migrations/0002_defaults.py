from django.db import migrations


def seed(apps, schema_editor):
    from huitou.sla.defaults import seed_defaults

    seed_defaults(
        calendar_model=apps.get_model("sla", "BusinessCalendar"),
        policy_model=apps.get_model("sla", "SlaPolicy"),
        step_model=apps.get_model("sla", "EscalationStep"),
        queue_model=apps.get_model("sla", "Queue"),
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
