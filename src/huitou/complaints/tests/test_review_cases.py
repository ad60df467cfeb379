"""Edge cases of the flow: history that must not be lost, bypasses, stale flags."""

from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import Complaint, ComplaintPolicy, CrisisAlert
from huitou.complaints.overdue import do_dispatch_overdue_sweep
from huitou.complaints.services import (
    do_complaint_accept,
    do_complaint_dispatch,
    do_complaint_result,
)
from huitou.core.models import Notification
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Message
from huitou.tickets.services import do_ticket_create
from huitou.tickets.tests.factories import TicketFactory

from .factories import make_complaint
from .test_crisis import classified

pytestmark = pytest.mark.django_db


@pytest.fixture
def aftersales():
    return DepartmentFactory(name="售后服务部")


def test_a_complaint_with_history_cannot_be_retyped_away(api_as):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    client = api_as(agent)
    client.post(f"complaints/{complaint.pk}/answer", {"body": "已当场处理。"})
    client.post(f"complaints/{complaint.pk}/reopen", {"reason": "客户又来电"})
    response = client.patch(f"tickets/{complaint.pk}", {"type": "consultation"})
    assert response.status_code == 409
    assert Complaint.objects.get(pk=complaint.pk).steps.count() >= 4


def test_a_complaint_filed_with_a_department_is_dispatched_and_handlers_cannot_retype(
    api_as, aftersales
):
    agent = UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=agent,
        customer=CustomerFactory(),
        channel="phone",
        type="complaint",
        subject="送货员态度恶劣",
        department=aftersales,
    )
    complaint = Complaint.objects.get(pk=ticket.pk)
    assert complaint.state == "dispatched" and complaint.department == aftersales
    assert complaint.dispatch_due_at is not None
    handler = api_as(UserFactory(role="handler", department=aftersales))
    assert handler.patch(f"tickets/{ticket.pk}", {"type": "consultation"}).status_code == 403
    assert Complaint.objects.filter(pk=ticket.pk).exists()


def test_a_reply_cannot_bypass_the_flow_through_the_ticket_thread(api_as, aftersales):
    agent = UserFactory(role="agent")
    handler = UserFactory(role="handler", department=aftersales)
    complaint = make_complaint(actor=agent)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=aftersales)
    for user in (agent, handler):
        response = api_as(user).post(f"tickets/{complaint.pk}/messages", {"body": "已处理好了。"})
        assert response.status_code == 409
    assert not Message.objects.filter(ticket_id=complaint.pk, public=True).exists()
    note = api_as(handler).post(
        f"tickets/{complaint.pk}/messages", {"body": "已约周五上门。", "public": False}
    )
    assert note.status_code == 201
    assert Complaint.objects.get(pk=complaint.pk).state == "dispatched"


def test_a_closed_ticket_retyped_as_a_complaint_can_be_reopened(api_as):
    agent = UserFactory(role="agent")
    ticket = TicketFactory(status="closed", closed_at=timezone.now(), resolved_at=timezone.now())
    client = api_as(agent)
    assert client.patch(f"tickets/{ticket.pk}", {"type": "complaint"}).status_code == 200
    assert client.get(f"complaints/{ticket.pk}").json()["state"] == "closed"
    body = client.post(f"complaints/{ticket.pk}/reopen", {"reason": "客户投诉处理结果"}).json()
    assert body["state"] == "received"


def test_a_crisis_is_found_whatever_order_complaints_are_classified_in(
    django_capture_on_commit_callbacks,
):
    UserFactory(role="supervisor")
    ComplaintPolicy.objects.filter(pk=1).update(crisis_threshold=3, crisis_window_hours=24)
    agent = UserFactory(role="agent")
    with django_capture_on_commit_callbacks(execute=True):
        for hours_ago in (0, 1, 2):  # newest first
            classified(agent, hours_ago=hours_ago)
    assert CrisisAlert.objects.get().complaint_count == 3


def test_a_wave_that_grows_after_acknowledgement_raises_a_new_alert(
    django_capture_on_commit_callbacks,
):
    from huitou.complaints.crisis import do_crisis_alert_acknowledge

    supervisor = UserFactory(role="supervisor")
    ComplaintPolicy.objects.filter(pk=1).update(crisis_threshold=3, crisis_window_hours=24)
    agent = UserFactory(role="agent")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            classified(agent)
    do_crisis_alert_acknowledge(actor=supervisor, alert=CrisisAlert.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            classified(agent)
    assert CrisisAlert.objects.count() == 1  # two more are below the threshold
    with django_capture_on_commit_callbacks(execute=True):
        classified(agent)
    assert CrisisAlert.objects.count() == 2
    assert CrisisAlert.objects.order_by("-pk").first().complaint_count == 3
    assert Notification.objects.filter(kind="crisis_alert").count() == 2 * 1  # one each


def test_a_late_result_flags_the_dispatch_overdue(aftersales):
    agent = UserFactory(role="agent")
    handler = UserFactory(role="handler", department=aftersales)
    complaint = make_complaint(actor=agent)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=aftersales)
    do_complaint_accept(actor=handler, complaint=complaint)
    Complaint.objects.filter(pk=complaint.pk).update(
        dispatch_due_at=timezone.now() - timedelta(minutes=1)
    )
    do_complaint_result(actor=handler, complaint=complaint, result="已处理")
    complaint.refresh_from_db()
    assert complaint.dispatch_overdue and "overdue" in complaint.major_reasons


def test_a_redispatch_gets_its_own_overdue_check(aftersales):
    agent = UserFactory(role="agent")
    logistics = DepartmentFactory(name="物流部")
    new_handler = UserFactory(role="handler", department=logistics)
    complaint = make_complaint(actor=agent)
    complaint = do_complaint_dispatch(actor=agent, complaint=complaint, department=aftersales)
    # Just past each due time, which is in business time ("two days later" may not be).
    assert do_dispatch_overdue_sweep(now=complaint.dispatch_due_at + timedelta(minutes=1)) == 1
    do_complaint_dispatch(actor=agent, complaint=complaint, department=logistics, note="转物流部")
    complaint.refresh_from_db()
    assert complaint.dispatch_overdue is False and "overdue" in complaint.major_reasons
    assert do_dispatch_overdue_sweep(now=complaint.dispatch_due_at + timedelta(minutes=1)) == 1
    assert Notification.objects.filter(kind="dispatch_overdue", recipient=new_handler).exists()
    assert complaint.steps.filter(step="overdue").count() == 2


def test_the_callback_satisfaction_cannot_be_overwritten_by_patch(api_as):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    Complaint.objects.filter(pk=complaint.pk).update(recovery_satisfaction=5)
    api_as(agent).patch(f"complaints/{complaint.pk}", {"recovery_satisfaction": 1})
    assert Complaint.objects.get(pk=complaint.pk).recovery_satisfaction == 5


def test_handler_of_another_department_gets_404_on_every_step(api_as, aftersales):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=aftersales)
    other = api_as(UserFactory(role="handler", department=DepartmentFactory(name="物流部")))
    for action, payload in [
        ("result", {"result": "x"}),
        ("recoveries", {"kind": "apology"}),
        ("reply", {"body": "x"}),
    ]:
        assert other.post(f"complaints/{complaint.pk}/{action}", payload).status_code == 404
    assert other.get("complaints").json()["count"] == 0


def test_bad_page_and_query_input_is_a_4xx(api_as, client):
    supervisor = UserFactory(role="supervisor")
    assert api_as(supervisor).get("complaints", q="a\x00").status_code == 422
    assert api_as(supervisor).get("tickets", q="a\x00").status_code == 422
    client.force_login(supervisor)
    assert client.post("/complaints/alerts/", {"alert": "abc"}).status_code == 404
    page = client.get("/complaints/analysis/", {"start": "0001-01-01", "end": "9999-12-31"})
    assert page.status_code == 200 and "统计期间不能超过十年" in page.content.decode()
    csv_export = client.get("/complaints/analysis/", {"end": "9999-12-31", "format": "csv"})
    assert csv_export.status_code == 200


def test_csv_export_neutralises_formulas():
    from huitou.core.spreadsheet import safe_cell as _cell  # the one every export uses

    assert _cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert _cell("空调") == "空调" and _cell(3) == 3
