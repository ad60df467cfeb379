import pytest

from huitou.core.audit import do_audit_record
from huitou.core.models import AuditEntry
from huitou.customers.tests.factories import CustomerFactory


@pytest.mark.django_db
def test_audit_entries_cannot_be_changed_or_deleted():
    customer = CustomerFactory()
    entry = do_audit_record(obj=customer, actor=None, action="created", new=customer.number)
    entry.new_value = "tampered"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).new_value == customer.number


@pytest.mark.django_db
def test_audit_entries_are_found_per_object():
    first, second = CustomerFactory(), CustomerFactory()  # the service records "created"
    assert AuditEntry.objects.for_object(second).count() == 1
    assert AuditEntry.objects.for_object(first).count() == 1
