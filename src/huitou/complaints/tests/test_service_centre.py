"""The service centre (客服中心) receives, answers, dispatches, replies and calls back; the
responsible departments (相关责任单位) receive its dispatches (issue 11)."""

import pytest
from django.contrib.admin.sites import site

from huitou.accounts.models import Department
from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.forms import DispatchForm
from huitou.complaints.models import Complaint

from .factories import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre():
    return DepartmentFactory(name="客服中心", kind=Department.Kind.SERVICE_CENTRE)


@pytest.fixture
def aftersales():
    return DepartmentFactory(name="售后服务部")


def file_complaint(api, department) -> dict:
    customer = api.post("customers", {"name": "王建国", "phone": "13800138000"}).json()
    response = api.post(
        "tickets",
        {
            "customer": customer["id"],
            "channel": "phone",
            "type": "complaint",
            "subject": "师傅上门迟到两小时",
            "department": department.pk,
        },
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_complaint_filed_with_the_service_centre_stays_there_and_is_answered_at_once(
    api_as, centre
):
    agent = api_as(UserFactory(role="agent", department=centre))
    ticket = file_complaint(agent, centre)
    assert ticket["department"] == centre.pk
    complaint = agent.get(f"complaints/{ticket['id']}").json()
    assert complaint["state"] == "received" and complaint["department"] is None
    answered = agent.post(
        f"complaints/{ticket['id']}/answer", {"body": "非常抱歉，已为您安排今天上门并补偿。"}
    )
    assert answered.status_code == 200, answered.json()
    assert answered.json()["state"] == "closed"
    assert answered.json()["first_contact_resolution"] is True


def test_a_complaint_filed_with_a_responsible_department_is_dispatched_at_once(
    api_as, centre, aftersales
):
    agent = api_as(UserFactory(role="agent", department=centre))
    ticket = file_complaint(agent, aftersales)
    complaint = agent.get(f"complaints/{ticket['id']}").json()
    assert complaint["state"] == "dispatched" and complaint["department"] == aftersales.pk


def test_dispatch_to_the_service_centre_is_refused_naming_the_department(
    api_as, centre, aftersales
):
    agent = api_as(UserFactory(role="agent"))
    ticket = file_complaint(agent, centre)
    refused = agent.post(f"complaints/{ticket['id']}/dispatch", {"department": centre.pk})
    assert refused.status_code == 422
    detail = refused.json()["detail"][0]
    assert detail["loc"][-1] == "department" and "客服中心" in detail["msg"]
    assert Complaint.objects.get(pk=ticket["id"]).state == "received"
    moved = agent.post(f"complaints/{ticket['id']}/dispatch", {"department": aftersales.pk})
    assert moved.status_code == 200 and moved.json()["state"] == "dispatched"


def test_the_dispatch_form_offers_only_responsible_departments(client, centre, aftersales):
    assert list(DispatchForm().fields["department"].queryset) == [aftersales]
    agent = UserFactory(role="agent", department=centre)
    complaint = make_complaint(actor=agent)
    client.force_login(agent)
    page = client.get(f"/tickets/{complaint.pk}/").content.decode()
    form = page[page.index('id="action-dispatch"') :]
    form = form[: form.index("</form>")]
    assert "售后服务部" in form and "客服中心" not in form
    response = client.post(
        f"/complaints/{complaint.pk}/dispatch/", {"department": centre.pk, "due_at": ""}
    )
    assert response.status_code == 302  # back to the ticket page, the choice refused there
    assert Complaint.objects.get(pk=complaint.pk).state == "received"


def test_departments_take_a_kind_in_the_api_and_the_admin(api_as, client):
    admin = UserFactory(role="admin")
    api = api_as(admin)
    made = api.post("departments", {"name": "客服中心", "kind": "service_centre"})
    assert made.status_code == 201
    assert (made.json()["kind"], made.json()["kind_label"]) == ("service_centre", "客服中心")
    plain = api.post("departments", {"name": "物流部"}).json()
    assert plain["kind"] == "responsible"
    assert api.post("departments", {"name": "财务部", "kind": "other"}).status_code == 422
    listed = {row["name"]: row["kind"] for row in api.get("departments").json()}
    assert listed == {"客服中心": "service_centre", "物流部": "responsible"}

    assert "kind" in site._registry[Department].list_display
    client.force_login(admin)
    logistics = Department.objects.get(name="物流部")
    page = client.get(f"/admin/accounts/department/{logistics.pk}/change/")
    assert page.status_code == 200 and 'name="kind"' in page.content.decode()
    saved = client.post(
        f"/admin/accounts/department/{logistics.pk}/change/",
        {"name": "物流部", "kind": "service_centre", "description": ""},
    )
    assert saved.status_code == 302
    assert Department.objects.get(pk=logistics.pk).kind == "service_centre"
