from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import CallbackTask, Complaint, ComplaintPolicy, ComplaintStep
from huitou.tickets.models import Message

from .factories import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    aftersales = DepartmentFactory(name="售后服务部")
    logistics = DepartmentFactory(name="物流部")
    return {
        "agent": UserFactory(role="agent", username="agent"),
        "supervisor": UserFactory(role="supervisor", username="boss"),
        "handler": UserFactory(role="handler", department=aftersales, username="h_after"),
        "other_handler": UserFactory(role="handler", department=logistics, username="h_log"),
        "aftersales": aftersales,
        "logistics": logistics,
    }


def steps(body) -> list[str]:
    return [step["step"] for step in body["timeline"]]


def test_full_flow_from_phone_complaint_to_closed_callback_with_every_timestamp(team, api_as):
    agent, handler = api_as(team["agent"]), api_as(team["handler"])
    customer = agent.post(
        "customers", {"name": "王建国", "phone": "13800138000", "kind": "individual"}
    ).json()
    ticket = agent.post(
        "tickets",
        {
            "customer": customer["id"],
            "channel": "phone",
            "type": "complaint",
            "subject": "空调安装后漏水",
        },
    ).json()
    url = f"complaints/{ticket['id']}"
    assert agent.get(url).json()["state"] == "received"

    due = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = agent.post(
        f"{url}/dispatch",
        {"department": team["aftersales"].pk, "note": "请安排网点上门", "due_at": due.isoformat()},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "dispatched"
    assert handler.post(f"{url}/accept", {}).json()["state"] == "accepted"
    body = handler.post(
        f"{url}/result", {"result": "网点已上门更换排水管，客户确认不漏了。"}
    ).json()
    assert body["state"] == "returned"
    body = agent.post(f"{url}/reply", {"body": "王先生您好，师傅已上门处理好漏水问题。"}).json()
    assert body["state"] == "replied"
    assert body["callbacks"][0]["status"] == "open"
    body = agent.post(f"{url}/callback", {"satisfaction": 5, "note": "客户很满意"}).json()

    assert body["state"] == "closed"
    assert steps(body) == [
        "received", "dispatched", "accepted", "result", "replied", "callback", "closed"
    ]  # fmt: skip
    actors = [step["actor"] for step in body["timeline"]]
    assert actors == [team["agent"].pk, team["agent"].pk, team["handler"].pk, team["handler"].pk,
                      team["agent"].pk, team["agent"].pk, team["agent"].pk]  # fmt: skip
    times = [step["at"] for step in body["timeline"]]
    assert all(times) and times == sorted(times)
    for field in ("received_at", "first_dispatched_at", "dispatched_at", "accepted_at",
                  "result_at", "replied_at", "closed_at"):  # fmt: skip
        assert body[field], field
    assert body["dispatch_due_at"].startswith(due.isoformat()[:16])
    assert body["dispatch_target_due"]  # the 投诉 policy's time to dispatch
    assert body["department"] == team["aftersales"].pk
    assert body["recovery_satisfaction"] == 5
    assert body["first_contact_resolution"] is False
    assert body["major"] is False and body["major_reasons"] == []  # an ordinary complaint
    assert body["callbacks"][0]["status"] == "done" and body["callbacks"][0]["satisfaction"] == 5
    ticket_now = agent.get(f"tickets/{ticket['id']}").json()
    assert ticket_now["status"] == "closed" and ticket_now["closed_at"]
    assert ticket_now["department"] == team["aftersales"].pk
    assert ticket_now["first_response_at"]


def test_first_contact_resolution_path(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    body = (
        api_as(team["agent"])
        .post(f"complaints/{complaint.pk}/answer", {"body": "您好，已为您当场办理退款，非常抱歉。"})
        .json()
    )
    assert body["state"] == "closed"
    assert body["first_contact_resolution"] is True
    assert body["reply_mode"] == "immediate"
    assert steps(body) == ["received", "answered", "closed"]
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == "closed" and complaint.ticket.first_response_at
    assert not CallbackTask.objects.filter(complaint=complaint).exists()


def test_reply_before_the_department_result_is_refused_and_changes_nothing(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    agent = api_as(team["agent"])
    agent.post(f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk})
    messages_before = Message.objects.count()
    steps_before = ComplaintStep.objects.count()

    response = agent.post(f"complaints/{complaint.pk}/reply", {"body": "已处理好了。"})

    assert response.status_code == 409
    detail = response.json()["detail"][0]
    assert detail["loc"][-1] == "state"
    assert "部门反馈处理结果" in detail["msg"] and "已派单" in detail["msg"]
    assert Message.objects.count() == messages_before
    assert ComplaintStep.objects.count() == steps_before
    assert Complaint.objects.get(pk=complaint.pk).state == "dispatched"


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("result", {"result": "已处理"}),  # not accepted yet
        ("callback", {"satisfaction": 4}),  # not replied yet
        ("reopen", {"reason": "客户又来电"}),  # never replied
        ("accept", {}),  # not dispatched
    ],
)
def test_out_of_order_steps_are_refused(team, api_as, action, payload):
    complaint = make_complaint(actor=team["agent"])
    if action != "accept":
        api_as(team["agent"]).post(
            f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk}
        )
    actor = team["handler"] if action in ("accept", "result") else team["agent"]
    if action == "accept":
        actor = team["supervisor"]
    response = api_as(actor).post(f"complaints/{complaint.pk}/{action}", payload)
    assert response.status_code == 409, response.json()
    assert response.json()["detail"][0]["type"] == "illegal_transition"


def test_handler_of_another_department_gets_404(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    api_as(team["agent"]).post(
        f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk}
    )
    other = api_as(team["other_handler"])
    assert other.get(f"complaints/{complaint.pk}").status_code == 404
    assert other.post(f"complaints/{complaint.pk}/accept", {}).status_code == 404
    assert api_as(team["handler"]).get(f"complaints/{complaint.pk}").status_code == 200
    assert Complaint.objects.get(pk=complaint.pk).state == "dispatched"


def test_handler_cannot_do_the_service_centres_steps(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    api_as(team["agent"]).post(
        f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk}
    )
    handler = api_as(team["handler"])
    assert handler.post(f"complaints/{complaint.pk}/reply", {"body": "好了"}).status_code == 403
    other = {"department": team["logistics"].pk, "note": "x"}
    assert handler.post(f"complaints/{complaint.pk}/dispatch", other).status_code == 403


def test_agent_cannot_accept_for_the_department(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    agent = api_as(team["agent"])
    agent.post(f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk})
    assert agent.post(f"complaints/{complaint.pk}/accept", {}).status_code == 403


def test_redispatch_needs_a_reason_which_is_recorded(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    agent = api_as(team["agent"])
    url = f"complaints/{complaint.pk}"
    agent.post(f"{url}/dispatch", {"department": team["aftersales"].pk})
    api_as(team["handler"]).post(f"{url}/accept", {})

    refused = agent.post(f"{url}/dispatch", {"department": team["logistics"].pk})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "note"

    body = agent.post(
        f"{url}/dispatch", {"department": team["logistics"].pk, "note": "实为配送损坏，转物流部"}
    ).json()
    assert body["state"] == "dispatched" and body["department"] == team["logistics"].pk
    assert body["timeline"][-1]["note"] == "实为配送损坏，转物流部"
    assert body["handler"] is None
    assert api_as(team["handler"]).get(url).status_code == 404
    assert api_as(team["other_handler"]).post(f"{url}/accept", {}).status_code == 200


def test_unsatisfied_callback_reopens_the_complaint_and_counts(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    agent, handler = api_as(team["agent"]), api_as(team["handler"])
    url = f"complaints/{complaint.pk}"
    agent.post(f"{url}/dispatch", {"department": team["aftersales"].pk})
    handler.post(f"{url}/accept", {})
    handler.post(f"{url}/result", {"result": "已处理"})
    agent.post(f"{url}/reply", {"body": "您好，已经处理好了。"})

    body = agent.post(f"{url}/callback", {"satisfaction": 2, "note": "还是漏水"}).json()

    assert body["state"] == "received"
    assert body["reopen_count"] == 1
    assert steps(body)[-3:] == ["callback", "reopened", "major"]
    assert body["major"] is True and "reopened" in body["major_reasons"]
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == "open"


def test_unsatisfied_callback_can_still_close_when_told_not_to_reopen(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    complaint_at_replied(complaint, team, api_as)
    body = (
        api_as(team["agent"])
        .post(f"complaints/{complaint.pk}/callback", {"satisfaction": 1, "reopen": False})
        .json()
    )
    assert body["state"] == "closed" and body["reopen_count"] == 0
    assert body["callbacks"][0]["outcome"] == "unsatisfied"


def test_unreached_callback_keeps_the_task_open(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    complaint_at_replied(complaint, team, api_as)
    body = (
        api_as(team["agent"])
        .post(f"complaints/{complaint.pk}/callback", {"reached": False, "note": "无人接听"})
        .json()
    )
    assert body["state"] == "replied"
    assert body["callbacks"][0]["status"] == "open" and body["callbacks"][0]["attempts"] == 1
    missing = api_as(team["agent"]).post(f"complaints/{complaint.pk}/callback", {"note": "x"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "satisfaction"


def test_reopen_from_closed_goes_back_into_the_flow(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    agent = api_as(team["agent"])
    agent.post(f"complaints/{complaint.pk}/answer", {"body": "已当场处理。"})
    assert agent.post(f"complaints/{complaint.pk}/reopen", {"reason": ""}).status_code == 422
    body = agent.post(f"complaints/{complaint.pk}/reopen", {"reason": "客户再次来电"}).json()
    assert body["state"] == "received" and body["reopen_count"] == 1
    assert body["first_contact_resolution"] is False
    body = agent.post(f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk})
    assert body.json()["state"] == "dispatched"


def test_callback_task_is_due_after_the_configured_delay(team, api_as):
    ComplaintPolicy.objects.filter(pk=1).update(callback_delay_hours=48)
    complaint = make_complaint(actor=team["agent"])
    complaint_at_replied(complaint, team, api_as)
    task = CallbackTask.objects.get(complaint=complaint)
    replied_at = Complaint.objects.get(pk=complaint.pk).replied_at
    assert task.due_at == replied_at + timedelta(hours=48)
    listed = api_as(team["agent"]).get("complaints/callbacks").json()
    assert [row["ticket_id"] for row in listed["items"]] == [complaint.pk]
    assert api_as(team["agent"]).get("complaints/callbacks", due_only="true").json()["count"] == 0


def test_the_ticket_status_of_a_complaint_moves_only_through_the_flow(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    agent = api_as(team["agent"])
    response = agent.patch(f"tickets/{complaint.pk}", {"status": "resolved"})
    assert response.status_code == 409
    response = agent.patch(f"tickets/{complaint.pk}", {"department": team["aftersales"].pk})
    assert response.status_code == 409
    assert agent.patch(f"tickets/{complaint.pk}", {"priority": "high"}).status_code == 200


def test_dispatch_due_time_must_be_in_the_future(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = api_as(team["agent"]).post(
        f"complaints/{complaint.pk}/dispatch",
        {"department": team["aftersales"].pk, "due_at": past},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "due_at"
    assert Complaint.objects.get(pk=complaint.pk).state == "received"


def test_default_due_time_follows_the_sla_policy_in_business_time(team, api_as):
    from huitou.sla.calendars import compiled_calendar
    from huitou.sla.models import SlaPolicy

    complaint = make_complaint(actor=team["agent"])
    before = timezone.now()
    api_as(team["agent"]).post(
        f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk}
    )
    policy = SlaPolicy.objects.get(name="投诉")  # department result in 2 working days
    calendar = compiled_calendar(policy.calendar)
    due = Complaint.objects.get(pk=complaint.pk).dispatch_due_at
    assert calendar.add(before, 900 * 60) <= due <= calendar.add(timezone.now(), 900 * 60)


def test_without_an_sla_target_the_due_time_follows_the_complaint_rules(team, api_as):
    from huitou.sla.models import SlaPolicy

    SlaPolicy.objects.update(department_result_minutes=None)
    ComplaintPolicy.objects.filter(pk=1).update(dispatch_due_hours=8)
    complaint = make_complaint(actor=team["agent"])
    before = timezone.now()
    api_as(team["agent"]).post(
        f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk}
    )
    due = Complaint.objects.get(pk=complaint.pk).dispatch_due_at
    assert before + timedelta(hours=8) <= due <= timezone.now() + timedelta(hours=8)


def test_changing_a_ticket_into_a_complaint_opens_its_record(team, api_as):
    from huitou.tickets.tests.factories import TicketFactory

    ticket = TicketFactory(type="consultation")
    agent = api_as(team["agent"])
    assert agent.get(f"complaints/{ticket.pk}").status_code == 404
    assert agent.patch(f"tickets/{ticket.pk}", {"type": "complaint"}).status_code == 200
    assert agent.get(f"complaints/{ticket.pk}").json()["state"] == "received"
    assert agent.patch(f"tickets/{ticket.pk}", {"type": "consultation"}).status_code == 200
    assert not Complaint.objects.filter(pk=ticket.pk).exists()


def test_a_dispatched_complaint_cannot_become_another_type(team, api_as):
    complaint = make_complaint(actor=team["agent"])
    agent = api_as(team["agent"])
    agent.post(f"complaints/{complaint.pk}/dispatch", {"department": team["aftersales"].pk})
    response = agent.patch(f"tickets/{complaint.pk}", {"type": "consultation"})
    assert response.status_code == 409
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.type == "complaint"


def complaint_at_replied(complaint, team, api_as) -> None:
    agent, handler = api_as(team["agent"]), api_as(team["handler"])
    url = f"complaints/{complaint.pk}"
    assert agent.post(f"{url}/dispatch", {"department": team["aftersales"].pk}).status_code == 200
    assert handler.post(f"{url}/accept", {}).status_code == 200
    assert handler.post(f"{url}/result", {"result": "已处理"}).status_code == 200
    assert agent.post(f"{url}/reply", {"body": "您好，已经处理好了。"}).status_code == 200
