"""The history tables render every audit entry the code can write, whatever field it names."""

import pytest
from django.contrib.contenttypes.models import ContentType

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import Complaint, CrisisAlert
from huitou.complaints.services import do_recovery_add
from huitou.complaints.tests.factories import make_complaint
from huitou.complaints.tests.test_qa import FULL, dispatched
from huitou.core.models import AuditEntry
from huitou.customers.models import Customer
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Ticket

pytestmark = pytest.mark.django_db

# The models whose changes the code audits (grep do_audit_record / do_audit_changes /
# AuditEntry): tickets, their complaint records, customers and crisis alerts.
AUDITED_MODELS = [Ticket, Complaint, Customer, CrisisAlert]
GONE = ["no_such_field", "kind", ""]  # removed or never a field (recovery entries say "kind")


def every_field_name(model) -> list[str]:
    """Forward, reverse, one-to-one and many-to-many fields, and hidden relations too."""
    return [field.name for field in model._meta.get_fields(include_hidden=True)] + GONE


def write_every_kind_of_entry(obj) -> list[AuditEntry]:
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.bulk_create(
        AuditEntry(
            content_type=content_type,
            object_id=obj.pk,
            action=action,
            field=name,
            old_value="1",
            new_value="2",
        )
        for name in every_field_name(type(obj))
        for action in ("changed", "scored", "recovery")
    )


@pytest.mark.parametrize("model", AUDITED_MODELS, ids=lambda model: model.__name__)
def test_every_field_of_an_audited_model_has_a_label(model):
    content_type = ContentType.objects.get_for_model(model)
    for name in every_field_name(model):
        entry = AuditEntry(content_type=content_type, object_id=1, action="changed", field=name)
        assert isinstance(entry.field_label, str)
        assert isinstance(entry.old_label, str) and isinstance(entry.new_label, str)
        if name and name not in GONE and not name.endswith("+"):
            assert entry.field_label, name


def test_reverse_relations_are_named_after_the_model_on_the_other_side():
    content_type = ContentType.objects.get_for_model(Complaint)
    labels = {
        name: AuditEntry(content_type=content_type, object_id=1, field=name).field_label
        for name in ("dispatch_score", "recoveries", "alerts", "ticket", "no_such_field")
    }
    assert labels == {
        "dispatch_score": "派单质量评分",  # one-to-one, reverse
        "recoveries": "服务补救",  # many-to-one, reverse
        "alerts": "危机预警",  # many-to-many, reverse
        "ticket": "工单",  # one-to-one, forward
        "no_such_field": "no_such_field",
    }


def test_an_entry_of_a_model_that_no_longer_exists_keeps_its_raw_field_name():
    gone = ContentType.objects.create(app_label="gone", model="vanished")
    entry = AuditEntry(content_type=gone, object_id=1, action="changed", field="colour")
    assert (entry.field_label, entry.old_label) == ("colour", "")


def test_a_ticket_page_renders_the_history_of_every_kind_of_entry(client):
    agent = UserFactory(role="supervisor")
    complaint = dispatched(agent, DepartmentFactory(name="售后服务部"))
    write_every_kind_of_entry(complaint.ticket)
    write_every_kind_of_entry(complaint)
    client.force_login(agent)
    response = client.get(f"/tickets/{complaint.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "派单质量评分" in page and "服务补救" in page


def test_a_customer_page_renders_the_history_of_every_kind_of_entry(client):
    customer = CustomerFactory()
    write_every_kind_of_entry(customer)
    client.force_login(UserFactory(role="supervisor"))
    response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "价值等级" in page


def test_a_scored_complaint_keeps_its_ticket_page(client):
    """派单质量评分 → 保存评分 used to make the ticket page fail for everyone, for ever."""
    agent = UserFactory(role="agent")
    complaint = dispatched(agent, DepartmentFactory(name="售后服务部"))
    client.force_login(UserFactory(role="qa"))
    response = client.post(f"/complaints/{complaint.pk}/score/", {**FULL, "comment": "好"})
    assert response.status_code == 302
    assert AuditEntry.objects.for_object(complaint).filter(field="dispatch_score").exists()
    for viewer in (agent, UserFactory(role="qa"), UserFactory(role="supervisor")):
        client.force_login(viewer)
        response = client.get(f"/tickets/{complaint.pk}/")
        assert response.status_code == 200
        assert "派单质量评分" in response.content.decode()


@pytest.mark.django_db
def test_a_recorded_recovery_reads_as_words_in_the_history(client):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    do_recovery_add(actor=agent, complaint=complaint, kind="apology", description="致歉")
    entry = AuditEntry.objects.get(action="recovery")
    assert (entry.field, entry.new_value) == ("recoveries", "道歉")
    client.force_login(agent)
    history = client.get(f"/tickets/{complaint.pk}/").content.decode()
    history = history[history.index('id="history"') :]
    assert "道歉" in history and "kind" not in history
