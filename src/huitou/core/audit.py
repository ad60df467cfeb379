"""Recording changes in the append-only audit log."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def display_value(value) -> str:
    if value is None:
        return ""
    # People read the history: show 陈静, not the username.
    return str(getattr(value, "display_name", value))


def do_audit_record(
    *, obj: models.Model, actor, action: str, field: str = "", old="", new=""
) -> AuditEntry:
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        actor=actor,
        action=action,
        field=field,
        old_value=display_value(old),
        new_value=display_value(new),
    )


def do_audit_changes(
    *, obj: models.Model, actor, changes: Iterable[tuple[str, object, object]]
) -> list[AuditEntry]:
    """Record one `changed` entry per (field, old, new) triple, in one query."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    entries = [
        AuditEntry(
            content_type=content_type,
            object_id=obj.pk,
            actor=actor,
            action="changed",
            field=field,
            old_value=display_value(old),
            new_value=display_value(new),
        )
        for field, old, new in changes
    ]
    return AuditEntry.objects.bulk_create(entries)
