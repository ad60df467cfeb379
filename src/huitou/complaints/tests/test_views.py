import pytest

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.models import Complaint
from huitou.complaints.services import do_complaint_dispatch
from huitou.core.models import Notification
from huitou.customers.tests.factories import CustomerFactory

from .factories import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def aftersales():
    return DepartmentFactory(name="售后服务部")


def test_the_ui_runs_the_flow_with_role_specific_actions(client, aftersales):
    agent = UserFactory(role="agent")
    handler = UserFactory(role="handler", department=aftersales)
    complaint = make_complaint(actor=agent)
    url = f"/tickets/{complaint.pk}/"

    client.force_login(agent)
    page = client.get(url).content.decode()
    assert 'id="action-answer"' in page and 'id="action-dispatch"' in page
    assert 'id="action-accept"' not in page
    response = client.post(
        f"/complaints/{complaint.pk}/dispatch/",
        {"department": aftersales.pk, "note": "请上门", "due_at": ""},
    )
    assert response.status_code == 302

    client.force_login(handler)
    page = client.get(url).content.decode()
    assert 'id="action-accept"' in page and 'id="action-dispatch"' not in page
    assert client.post(f"/complaints/{complaint.pk}/accept/").status_code == 302
    empty = client.post(f"/complaints/{complaint.pk}/result/", {"result": " "}, follow=True)
    assert empty.redirect_chain == [(f"/tickets/{complaint.pk}/#complaint-panel", 302)]
    assert 'id="action-result"' in empty.content.decode()
    assert (
        client.post(f"/complaints/{complaint.pk}/result/", {"result": "已上门修好"}).status_code
        == 302
    )

    client.force_login(agent)
    assert (
        client.post(f"/complaints/{complaint.pk}/reply/", {"body": "您好，已修好。"}).status_code
        == 302
    )
    response = client.post(
        f"/complaints/{complaint.pk}/callback/",
        {"reached": "1", "satisfaction": "5", "note": "满意"},
    )
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).state == "closed"
    page = client.get(url).content.decode()
    for step in ("received", "dispatched", "accepted", "result", "replied", "callback", "closed"):
        assert f'data-step="{step}"' in page


def test_an_illegal_step_in_the_ui_shows_the_reason_and_changes_nothing(client, aftersales):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=aftersales)
    client.force_login(agent)
    response = client.post(f"/complaints/{complaint.pk}/reply/", {"body": "已处理"})
    assert response.status_code == 302  # Post/Redirect/Get: a reload posts nothing
    page = client.get(response["Location"]).content.decode()
    assert "部门反馈处理结果" in page and "已处理" in page  # the reason, and the draft kept
    assert Complaint.objects.get(pk=complaint.pk).state == "dispatched"
    assert "部门反馈处理结果" not in client.get(response["Location"]).content.decode()


def test_a_handler_of_another_department_gets_404_in_the_ui(client, aftersales):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=aftersales)
    client.force_login(UserFactory(role="handler", department=DepartmentFactory(name="物流部")))
    assert client.get(f"/tickets/{complaint.pk}/").status_code == 404
    assert client.post(f"/complaints/{complaint.pk}/accept/").status_code == 404


def test_classification_form_saves_only_changes_and_names_bad_fields(client):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    client.force_login(agent)
    data = {"severity": "general", "cause": "delivery", "product": "冰箱", "validity": "partly"}
    response = client.post(f"/complaints/{complaint.pk}/classify/", data, follow=True)
    assert response.redirect_chain[-1][1] == 302
    assert "须说明理由" in response.content.decode()
    data["validity_reason"] = "只有外包装破损"
    assert client.post(f"/complaints/{complaint.pk}/classify/", data).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.cause, complaint.product, complaint.validity) == (
        "delivery",
        "冰箱",
        "partly",
    )


def test_complaint_pages_render_for_supervisors(client, aftersales):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent, customer=CustomerFactory(tier="A"))
    do_complaint_dispatch(actor=agent, complaint=complaint, department=aftersales)
    client.force_login(UserFactory(role="supervisor"))
    for url in ("/complaints/", "/complaints/?major=on", "/complaints/callbacks/",
                "/complaints/alerts/", "/complaints/analysis/", "/complaints/qa/",
                "/notifications/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
    listed = client.get("/complaints/", {"major": "on", "state": ""}).content.decode()
    assert complaint.ticket.number in listed


def test_notification_centre_marks_read(client, api_as):
    supervisor = UserFactory(role="supervisor")
    make_complaint(customer=CustomerFactory(tier="A"))
    assert Notification.objects.filter(recipient=supervisor, read_at__isnull=True).count() == 1
    api = api_as(supervisor)
    items = api.get("notifications", unread_only="true").json()["items"]
    assert items[0]["kind"] == "major_complaint"
    assert api.post(f"notifications/{items[0]['id']}/read", {}).json() == {"marked": 1, "unread": 0}
    other = api_as(UserFactory(role="agent"))
    assert other.post(f"notifications/{items[0]['id']}/read", {}).status_code == 404
    client.force_login(supervisor)
    assert "重大投诉" in client.get("/notifications/").content.decode()


def test_complaint_list_query_count_does_not_grow(api_as, django_assert_max_num_queries):
    agent = UserFactory(role="agent")
    api = api_as(agent)
    for _ in range(3):
        make_complaint(actor=agent)
    with django_assert_max_num_queries(12) as small:
        api.get("complaints")
    baseline = len(small.captured_queries)
    for _ in range(20):
        make_complaint(actor=agent)
    with django_assert_max_num_queries(baseline):
        assert api.get("complaints", limit=50).json()["count"] == 23


def test_admin_pages_for_complaint_configuration_open(client):
    make_complaint(customer=CustomerFactory(tier="A"))
    client.force_login(UserFactory(role="admin"))
    for url in (
        "/admin/complaints/complaintpolicy/1/change/",
        "/admin/complaints/complaint/",
        "/admin/complaints/crisisalert/",
        "/admin/tickets/forbiddenphrase/",
        "/admin/tickets/standardphrase/",
        "/admin/tickets/forbiddenphraseuse/",
        "/admin/core/notification/",
    ):
        assert client.get(url).status_code == 200, url


def test_an_answer_refused_for_a_forbidden_phrase_redirects_and_keeps_the_draft(client):
    agent = UserFactory(role="agent")
    complaint = make_complaint(actor=agent)
    client.force_login(agent)
    body = "这是本公司的规定，我们也没办法。"
    response = client.post(f"/complaints/{complaint.pk}/answer/", {"body": body})
    assert response.status_code == 302 and "/answer/" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert body in page  # the draft is back in the answer box
    assert 'name="confirm_forbidden"' in page and 'type="checkbox"' in page
    assert not complaint.ticket.messages.filter(body=body).exists()
    sent = client.post(
        f"/complaints/{complaint.pk}/answer/", {"body": body, "confirm_forbidden": "on"}
    )
    assert sent.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).state == "closed"
