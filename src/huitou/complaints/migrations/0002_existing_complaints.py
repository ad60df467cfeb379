from django.db import migrations

# Where an existing complaint ticket's status puts it in the flow.
STATE_BY_STATUS = {
    "new": "received",
    "open": "received",
    "pending": "received",
    "resolved": "replied",
    "closed": "closed",
}


def backfill(apps, schema_editor):
    """Complaint tickets filed before the workflow existed get their complaint record."""
    ComplaintPolicy = apps.get_model("complaints", "ComplaintPolicy")
    Complaint = apps.get_model("complaints", "Complaint")
    Ticket = apps.get_model("tickets", "Ticket")
    ComplaintPolicy.objects.get_or_create(pk=1)
    rows = [
        Complaint(
            ticket_id=ticket.pk,
            state=STATE_BY_STATUS[ticket.status],
            department_id=ticket.department_id,
            received_at=ticket.created_at,
            replied_at=ticket.resolved_at,
            closed_at=ticket.closed_at,
        )
        for ticket in Ticket.objects.filter(type="complaint", complaint__isnull=True)
    ]
    Complaint.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial"), ("tickets", "0003_seed_phrases")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
