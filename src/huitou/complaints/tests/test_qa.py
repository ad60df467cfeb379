import pytest

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import DispatchScore
from huitou.complaints.services import (
    do_complaint_accept,
    do_complaint_dispatch,
    do_complaint_result,
)
from huitou.tickets.tests.factories import TicketFactory

from .factories import make_complaint

pytestmark = pytest.mark.django_db
FULL = {"right_department": 30, "clear_description": 25, "due_time_met": 25, "reply_quality": 20}


def dispatched(agent, department):
    """A complaint dispatched to `department`, which has returned its result."""
    complaint = make_complaint(actor=agent)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=department)
    handler = UserFactory(role="handler", department=department)
    do_complaint_accept(actor=handler, complaint=complaint)
    do_complaint_result(actor=handler, complaint=complaint, result="已处理")
    return complaint


def test_qa_scores_dispatches_and_scores_roll_up_per_agent_and_department(api_as):
    qa = UserFactory(role="qa")
    chen, wang = (
        UserFactory(role="agent", full_name="陈静"),
        UserFactory(role="agent", full_name="王磊"),
    )
    aftersales, logistics = DepartmentFactory(name="售后服务部"), DepartmentFactory(name="物流部")
    inspector = api_as(qa)
    scores = [
        (dispatched(chen, aftersales), FULL),  # 100
        (dispatched(chen, logistics), {**FULL, "due_time_met": 5}),  # 80
        (dispatched(wang, aftersales), {**FULL, "right_department": 0, "reply_quality": 10}),  # 60
    ]
    for complaint, score in scores:
        response = inspector.put(f"complaints/{complaint.pk}/score", score)
        assert response.status_code == 200, response.json()
    body = inspector.get("complaints/qa").json()
    assert [(row["name"], row["count"], row["average"]) for row in body["by_agent"]] == [
        ("陈静", 2, 90.0),
        ("王磊", 1, 60.0),
    ]
    assert [(row["name"], row["average"]) for row in body["by_department"]] == [
        ("物流部", 80.0),
        ("售后服务部", 80.0),
    ] or [(row["name"], row["average"]) for row in body["by_department"]] == [
        ("售后服务部", 80.0),
        ("物流部", 80.0),
    ]
    # Scoring again replaces the score.
    inspector.put(f"complaints/{scores[2][0].pk}/score", FULL)
    assert DispatchScore.objects.get(complaint=scores[2][0]).total == 100
    assert DispatchScore.objects.count() == 3


def test_scores_above_the_rubric_are_refused(api_as):
    agent = UserFactory(role="agent")
    complaint = dispatched(agent, DepartmentFactory())
    response = api_as(UserFactory(role="qa")).put(
        f"complaints/{complaint.pk}/score", {**FULL, "clear_description": 26}
    )
    assert response.status_code == 422
    assert "clear_description" in response.json()["detail"][0]["loc"]
    assert not DispatchScore.objects.exists()


def test_only_dispatched_complaints_are_scored_and_only_by_qa(api_as):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    assert (
        api_as(UserFactory(role="qa")).put(f"complaints/{complaint.pk}/score", FULL).status_code
        == 409
    )
    other = dispatched(agent, DepartmentFactory())
    assert api_as(agent).put(f"complaints/{other.pk}/score", FULL).status_code == 403


def test_forbidden_phrase_counts_per_agent_in_the_qa_view(api_as, client):
    chen, wang = (
        UserFactory(role="agent", full_name="陈静"),
        UserFactory(role="agent", full_name="王磊"),
    )
    ticket = TicketFactory()
    for agent, body in [
        (chen, "这是本公司的规定"),
        (chen, "一个一个来，你先听我解释"),
        (wang, "你去找消协吧"),
    ]:
        response = api_as(agent).post(
            f"tickets/{ticket.pk}/messages", {"body": body, "confirm_forbidden": True}
        )
        assert response.status_code == 201
    api_as(wang).post(f"tickets/{ticket.pk}/messages", {"body": "您好，马上为您处理。"})
    qa = UserFactory(role="qa")
    body = api_as(qa).get("complaints/qa").json()
    assert [(row["name"], row["count"], row["replies"]) for row in body["forbidden_phrases"]] == [
        ("陈静", 3, 2),
        ("王磊", 1, 1),
    ]
    client.force_login(qa)
    page = client.get("/complaints/qa/").content.decode()
    assert 'id="forbidden-by-agent"' in page and "陈静" in page
