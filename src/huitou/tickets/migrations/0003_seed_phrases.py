from django.db import migrations


def seed(apps, schema_editor):
    from huitou.tickets.phrase_seeds import FORBIDDEN_PHRASES, STANDARD_PHRASES

    StandardPhrase = apps.get_model("tickets", "StandardPhrase")
    ForbiddenPhrase = apps.get_model("tickets", "ForbiddenPhrase")
    if not StandardPhrase.objects.exists():
        StandardPhrase.objects.bulk_create(
            StandardPhrase(category=category, title=title, body=body, order=index)
            for index, (category, title, body) in enumerate(STANDARD_PHRASES)
        )
    for phrase, kind, suggestion in FORBIDDEN_PHRASES:
        ForbiddenPhrase.objects.get_or_create(
            phrase=phrase, defaults={"kind": kind, "suggestion": suggestion}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_phrases")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
