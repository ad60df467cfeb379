from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.crisis import do_crisis_evaluate
from huitou.complaints.models import Complaint, ComplaintPolicy, CrisisAlert
from huitou.complaints.services import do_complaint_classify
from huitou.core.models import Notification

from .factories import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    UserFactory(role="supervisor")
    ComplaintPolicy.objects.filter(pk=1).update(crisis_threshold=3, crisis_window_hours=24)
    return UserFactory(role="agent")


def classified(agent, *, cause="product_quality", product="空调 KFR-35", hours_ago=0, **extra):
    complaint = make_complaint(actor=agent)
    Complaint.objects.filter(pk=complaint.pk).update(
        received_at=timezone.now() - timedelta(hours=hours_ago)
    )
    do_complaint_classify(
        actor=agent, complaint=complaint, changes={"cause": cause, "product": product, **extra}
    )
    return complaint


def test_a_crisis_alert_fires_at_the_threshold_and_not_below(
    agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        classified(agent, hours_ago=5)
        classified(agent, hours_ago=3, product="空调  kfr-35")  # same product, other spelling
    assert not CrisisAlert.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        third = classified(agent)

    alert = CrisisAlert.objects.get()
    assert alert.kind == "cluster" and alert.complaint_count == 3
    assert third in alert.complaints.all()
    assert Notification.objects.filter(kind="crisis_alert").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        classified(agent)
    alert.refresh_from_db()
    assert CrisisAlert.objects.count() == 1 and alert.complaint_count == 4
    assert Notification.objects.filter(kind="crisis_alert").count() == 1


def test_complaints_outside_the_window_or_of_another_cause_do_not_count(agent):
    classified(agent, hours_ago=30)
    classified(agent, hours_ago=26)
    classified(agent, cause="service")
    other_product = classified(agent, product="冰箱")
    last = classified(agent)
    for complaint in (other_product, last):
        assert do_crisis_evaluate(complaint_id=complaint.pk) == []
    assert not CrisisAlert.objects.exists()


def test_evaluating_again_changes_nothing(agent):
    complaints = [classified(agent) for _ in range(3)]
    assert len(do_crisis_evaluate(complaint_id=complaints[-1].pk)) == 1
    assert do_crisis_evaluate(complaint_id=complaints[-1].pk) == []
    assert CrisisAlert.objects.get().complaint_count == 3


def test_negative_publicity_raises_an_alert_at_once(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = classified(agent, behaviour="publicity", cause="service", product="安装")
    alert = CrisisAlert.objects.get(kind="publicity")
    assert list(alert.complaints.all()) == [complaint]


def test_supervisor_acknowledges_an_alert_and_an_agent_cannot(agent, api_as):
    complaints = [classified(agent) for _ in range(3)]
    do_crisis_evaluate(complaint_id=complaints[-1].pk)
    alert = CrisisAlert.objects.get()
    assert api_as(agent).get("complaints/alerts").status_code == 403
    supervisor = api_as(UserFactory(role="supervisor"))
    listed = supervisor.get("complaints/alerts", open_only="true").json()
    assert [row["id"] for row in listed["items"]] == [alert.pk]
    assert sorted(listed["items"][0]["tickets"]) == sorted(c.pk for c in complaints)
    response = supervisor.post(
        f"complaints/alerts/{alert.pk}/acknowledge", {"note": "已通知质量部排查"}
    )
    assert response.status_code == 200 and response.json()["acknowledged_at"]
    again = supervisor.post(f"complaints/alerts/{alert.pk}/acknowledge", {})
    assert again.status_code == 409
    assert supervisor.get("complaints/alerts", open_only="true").json()["count"] == 0
