"""The factories give tests only states production reaches: they build through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.complaints.models import Complaint
from huitou.core.models import AuditEntry
from huitou.sla.models import TicketSla
from huitou.tickets.tests.factories import MessageFactory, TicketFactory


@pytest.mark.django_db
def test_a_factory_ticket_is_timed_and_a_complaint_has_its_record():
    consultation = TicketFactory()
    complaint = TicketFactory(type="complaint")
    assert TicketSla.objects.filter(ticket__in=[consultation, complaint]).count() == 2
    assert Complaint.objects.get(pk=complaint.pk).state == "received"
    assert not Complaint.objects.filter(pk=consultation.pk).exists()


@pytest.mark.django_db
def test_a_factory_status_is_reached_by_the_transition_and_only_times_are_backdated():
    filed = timezone.now() - timedelta(days=30)
    ticket = TicketFactory(status="resolved", created_at=filed)
    assert ticket.resolved_at is not None and ticket.created_at == filed
    change = AuditEntry.objects.for_object(ticket).get(field="status")
    assert (change.old_value, change.new_value) == ("new", "resolved")


@pytest.mark.django_db
def test_a_complaint_status_is_refused_by_the_factory_the_flow_moves_it():
    with pytest.raises(ValueError, match="complaint"):
        TicketFactory(type="complaint", status="resolved")


@pytest.mark.django_db
def test_a_factory_message_from_the_customer_is_threaded_by_the_service():
    message = MessageFactory(body="请尽快上门")
    assert message.sender == "customer" and message.ticket.messages.count() == 1
