from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import Complaint, ComplaintPolicy
from huitou.complaints.overdue import do_dispatch_overdue_sweep
from huitou.complaints.services import do_complaint_classify, do_complaint_dispatch
from huitou.core.models import Notification
from huitou.customers.tests.factories import CustomerFactory

from .factories import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "agent": UserFactory(role="agent"),
        "supervisor": UserFactory(role="supervisor", email="boss@example.com"),
        "manager": UserFactory(role="manager", email="gm@example.com"),
        "other_agent": UserFactory(role="agent", email="peer@example.com"),
    }


def major_notifications():
    return Notification.objects.filter(kind="major_complaint")


def test_an_ordinary_complaint_is_not_major(people):
    complaint = make_complaint(actor=people["agent"], customer=CustomerFactory(tier="C"))
    do_complaint_classify(
        actor=people["agent"],
        complaint=complaint,
        changes={"behaviour": "passive", "severity": "serious", "compensation_demand": 300},
    )
    complaint.refresh_from_db()
    assert complaint.is_major is False and complaint.major_reasons == []
    assert not major_notifications().exists()


def test_tier_a_customer_makes_it_major_and_notifies_supervisor_and_management(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = make_complaint(actor=people["agent"], customer=CustomerFactory(tier="A"))
    assert complaint.is_major and complaint.major_reasons == ["tier_a"]
    recipients = set(major_notifications().values_list("recipient__username", flat=True))
    assert recipients == {people["supervisor"].username, people["manager"].username}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "boss@example.com",
        "gm@example.com",
    ]
    assert "三换" in mail.outbox[0].body and complaint.ticket.number in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"compensation_demand": "5000.01"}, "compensation"),
        ({"behaviour": "anger"}, "behaviour"),
        ({"behaviour": "extreme"}, "behaviour"),
        ({"severity": "major"}, "severity"),
    ],
)
def test_classification_rules_make_it_major(people, changes, reason):
    complaint = make_complaint(actor=people["agent"], customer=CustomerFactory(tier="B"))
    do_complaint_classify(actor=people["agent"], complaint=complaint, changes=changes)
    complaint.refresh_from_db()
    assert complaint.is_major and complaint.major_reasons == [reason]
    assert major_notifications().count() == 2  # supervisor and manager, once


def test_compensation_at_the_threshold_is_not_major(people):
    ComplaintPolicy.objects.filter(pk=1).update(major_compensation_threshold=1000)
    complaint = make_complaint(actor=people["agent"])
    do_complaint_classify(
        actor=people["agent"], complaint=complaint, changes={"compensation_demand": 1000}
    )
    assert not Complaint.objects.get(pk=complaint.pk).is_major
    do_complaint_classify(
        actor=people["agent"], complaint=complaint, changes={"compensation_demand": "1000.5"}
    )
    assert Complaint.objects.get(pk=complaint.pk).major_reasons == ["compensation"]


def test_a_repeat_complaint_within_the_window_is_major(people):
    ComplaintPolicy.objects.filter(pk=1).update(repeat_window_days=30)
    customer = CustomerFactory()
    first = make_complaint(actor=people["agent"], customer=customer)
    Complaint.objects.filter(pk=first.pk).update(received_at=timezone.now() - timedelta(days=29))
    second = make_complaint(actor=people["agent"], customer=customer)
    assert second.major_reasons == ["repeated"]
    assert not Complaint.objects.get(pk=first.pk).is_major


def test_a_complaint_after_the_window_is_not_a_repeat(people):
    ComplaintPolicy.objects.filter(pk=1).update(repeat_window_days=30)
    customer = CustomerFactory()
    first = make_complaint(actor=people["agent"], customer=customer)
    Complaint.objects.filter(pk=first.pk).update(received_at=timezone.now() - timedelta(days=31))
    second = make_complaint(actor=people["agent"], customer=customer)
    assert not second.is_major


def test_an_overdue_dispatch_becomes_major_once(people):
    department = DepartmentFactory()
    handler = UserFactory(role="handler", department=department)
    complaint = make_complaint(actor=people["agent"])
    complaint = do_complaint_dispatch(
        actor=people["agent"], complaint=complaint, department=department
    )
    # Just past the due time, which is in business time: "two days later" may not be.
    later = complaint.dispatch_due_at + timedelta(minutes=1)

    assert do_dispatch_overdue_sweep(now=later) == 1
    assert do_dispatch_overdue_sweep(now=later) == 0  # flagged once

    complaint.refresh_from_db()
    assert complaint.dispatch_overdue and complaint.major_reasons == ["overdue"]
    assert complaint.steps.filter(step="overdue").count() == 1
    assert major_notifications().count() == 2
    assert Notification.objects.filter(kind="dispatch_overdue", recipient=handler).count() == 1


def test_a_dispatch_on_time_is_not_overdue(people):
    department = DepartmentFactory()
    complaint = make_complaint(actor=people["agent"])
    do_complaint_dispatch(actor=people["agent"], complaint=complaint, department=department)
    assert do_dispatch_overdue_sweep(now=timezone.now() + timedelta(hours=23)) == 0
    assert not Complaint.objects.get(pk=complaint.pk).is_major


def test_more_reasons_later_do_not_notify_again(people):
    complaint = make_complaint(actor=people["agent"], customer=CustomerFactory(tier="A"))
    do_complaint_classify(
        actor=people["agent"], complaint=complaint, changes={"behaviour": "anger"}
    )
    complaint.refresh_from_db()
    assert complaint.major_reasons == ["tier_a", "behaviour"]
    assert major_notifications().count() == 2


def test_the_ticket_page_shows_the_three_changes_guidance(people, client):
    complaint = make_complaint(actor=people["agent"], customer=CustomerFactory(tier="A"))
    client.force_login(people["agent"])
    page = client.get(f"/tickets/{complaint.pk}/").content.decode()
    assert 'id="three-changes"' in page and "换人" in page and "换地" in page and "换时" in page
    ordinary = make_complaint(actor=people["agent"], customer=CustomerFactory(tier="C"))
    assert 'id="three-changes"' not in client.get(f"/tickets/{ordinary.pk}/").content.decode()
