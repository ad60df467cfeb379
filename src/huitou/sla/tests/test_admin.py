"""The service standards can be run from the Django admin alone, with the API's rules
(issue 11)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from huitou.accounts.tests.factories import UserFactory
from huitou.sla.admin import parse_hours_text
from huitou.sla.models import (
    AgentStatus,
    BusinessCalendar,
    CalendarDay,
    EscalationStep,
    Queue,
    SlaPolicy,
)

pytestmark = pytest.mark.django_db

MODELS = ["businesscalendar", "slapolicy", "queue", "agentstatus"]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role="admin"))
    return client


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def policy_form(calendar, **values) -> dict:
    return {
        "name": "大客户热线",
        "order": "5",
        "active": "on",
        "calendar": str(calendar.pk),
        "tier": "A",
        "ticket_type": "",
        "priority": "",
        "channel": "phone",
        "first_response_minutes": "15",
        "next_response_minutes": "",
        "resolution_minutes": "240",
        "dispatch_minutes": "",
        "department_result_minutes": "",
        "at_risk_percent": "75",
        **values,
    } | inline("steps", [])


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_and_add_page_answers_for_the_admin(admin_client, model):
    AgentStatus.objects.create(user=UserFactory(role="agent"), skills=["complaint"])
    for page in (f"/admin/sla/{model}/", f"/admin/sla/{model}/add/"):
        response = admin_client.get(page)
        assert response.status_code == 200, page
    first = {
        "businesscalendar": BusinessCalendar,
        "slapolicy": SlaPolicy,
        "queue": Queue,
        "agentstatus": AgentStatus,
    }[model].objects.first()
    assert admin_client.get(f"/admin/sla/{model}/{first.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/sla/{model}/", {"q": "a"}).status_code == 200


def test_the_admin_header_is_huitou_in_both_languages(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "回头 Huitou 管理后台" in page and "Django 管理" not in page
    with translation.override("en"):
        english = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Huitou" in english and "Django administration" not in english


def test_agents_and_supervisors_do_not_get_in(client):
    client.force_login(UserFactory(role="supervisor"))
    assert client.get("/admin/sla/slapolicy/").status_code == 302  # to the admin login


def test_an_impossible_policy_is_refused_in_the_admin_as_in_the_api(admin_client, api_as):
    # One working minute a week: a resolution target of a year of minutes needs ~10 000 years.
    tiny = BusinessCalendar.objects.create(name="每周一分钟", hours={"mon": [["09:00", "09:01"]]})
    data = policy_form(tiny, resolution_minutes="500000")
    response = admin_client.post("/admin/sla/slapolicy/add/", data)
    assert response.status_code == 200
    assert "该日历的工作时间不足以在十年内达到这个时限" in response.content.decode()
    assert not SlaPolicy.objects.filter(name="大客户热线").exists()
    api = api_as(UserFactory(role="admin"))
    refused = api.post(
        "sla/policies",
        {
            "name": "大客户热线", "order": 5, "conditions": {"tier": "A"},
            "calendar": tiny.pk, "first_response_minutes": 15, "resolution_minutes": 500000,
        },
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "resolution_minutes"

    zero = admin_client.post(
        "/admin/sla/slapolicy/add/", policy_form(tiny, first_response_minutes="0")
    )
    assert zero.status_code == 200 and "时限必须是 1 到" in zero.content.decode()
    risk = admin_client.post("/admin/sla/slapolicy/add/", policy_form(tiny, at_risk_percent="100"))
    assert "预警比例必须在 1 到 99 之间" in risk.content.decode()
    assert not SlaPolicy.objects.filter(name="大客户热线").exists()


def test_a_policy_made_in_the_admin_gets_the_standard_steps_and_checked_steps(admin_client):
    office = BusinessCalendar.objects.get(name="后台工作日")
    warn = {"metric": "resolution", "trigger": "percent", "value": "150", "action": "warn_assignee"}
    refused = admin_client.post(
        "/admin/sla/slapolicy/add/", policy_form(office) | inline("steps", [warn])
    )
    assert refused.status_code == 200 and "百分比必须在 1 到 99 之间" in refused.content.decode()
    assert not SlaPolicy.objects.filter(name="大客户热线").exists()

    made = admin_client.post("/admin/sla/slapolicy/add/", policy_form(office))
    assert made.status_code == 302
    policy = SlaPolicy.objects.get(name="大客户热线")
    assert (policy.tier, policy.channel, policy.resolution_minutes) == ("A", "phone", 240)
    assert policy.steps.count() == 4  # as a policy made through the API

    steps = list(policy.steps.order_by("pk"))
    rows = [
        {"id": str(step.pk), "policy": str(policy.pk), "metric": step.metric,
         "trigger": step.trigger, "value": str(step.value), "action": step.action}
        | ({"DELETE": "on"} if step.trigger == "percent" else {})
        for step in steps
    ]  # fmt: skip
    rows.append(
        {"metric": "resolution", "trigger": "after_breach", "value": "30", "action": "reassign"}
    )
    edit = policy_form(office, resolution_minutes="300") | inline("steps", rows, initial=4)
    saved = admin_client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", edit)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    policy.refresh_from_db()
    assert policy.resolution_minutes == 300
    assert policy.steps.filter(action="reassign", value=30).exists()
    assert not policy.steps.filter(trigger="percent").exists()


def test_a_calendar_with_its_hours_days_and_a_holiday_file(admin_client):
    ics = (
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20270101\nDTEND;VALUE=DATE:20270102\n"
        "SUMMARY:元旦\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    data = {
        "name": "华东热线",
        "timezone": "Asia/Shanghai",
        "hours_mon": "08:30-12:00, 13:00-17:30",
        "hours_tue": "8:30-17:30",
        "hours_wed": "", "hours_thu": "", "hours_fri": "", "hours_sat": "", "hours_sun": "",
        "workday_hours_text": "",
        "days_file": SimpleUploadedFile("holidays.ics", ics.encode()),
    } | inline("days", [{"date": "2026-10-10", "kind": "workday", "name": "国庆调休"}])  # fmt: skip
    response = admin_client.post("/admin/sla/businesscalendar/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    calendar = BusinessCalendar.objects.get(name="华东热线")
    assert calendar.hours == {
        "mon": [["08:30", "12:00"], ["13:00", "17:30"]],
        "tue": [["08:30", "17:30"]],
    }
    days = dict(CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"))
    assert {str(day): kind for day, kind in days.items()} == {
        "2026-10-10": "workday",
        "2027-01-01": "holiday",
    }
    page = admin_client.get(f"/admin/sla/businesscalendar/{calendar.pk}/change/").content.decode()
    assert "08:30-12:00, 13:00-17:30" in page


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({}, "no working hours"),
        ({"hours_mon": "12:00-09:00"}, "must end after it starts"),
        ({"hours_mon": "九点到五点"}, "无法识别"),
        ({"hours_mon": "09:00-12:00, 11:00-13:00"}, "overlap"),
    ],
)
def test_a_calendar_the_api_would_refuse_is_refused(admin_client, hours, message):
    data = {"name": "坏日历", "timezone": "Asia/Shanghai"} | {
        f"hours_{day}": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    } | hours | inline("days", [])  # fmt: skip
    response = admin_client.post("/admin/sla/businesscalendar/add/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="坏日历").exists()


def test_emptying_a_calendar_used_by_a_policy_is_refused(admin_client):
    office = BusinessCalendar.objects.get(name="后台工作日")
    data = {"name": office.name, "timezone": "Asia/Shanghai", "hours_sat": "10:00-10:01"} | {
        f"hours_{day}": "" for day in ("mon", "tue", "wed", "thu", "fri", "sun")
    } | inline("days", [])  # fmt: skip
    response = admin_client.post(f"/admin/sla/businesscalendar/{office.pk}/change/", data)
    assert response.status_code == 200 and "该日历的工作时间不足" in response.content.decode()
    office.refresh_from_db()
    assert office.hours["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]


def test_queue_members_and_agent_duty_capacity_skills(admin_client):
    agent = UserFactory(role="agent", username="agent_chen")
    bot = UserFactory(role="agent", username="huitou-bot")
    bot.is_service_account = True
    bot.save(update_fields=["is_service_account"])
    vip = Queue.objects.get(name="VIP 专席")
    page = admin_client.get(f"/admin/sla/queue/{vip.pk}/change/").content.decode()
    assert "agent_chen" in page or agent.display_name in page
    data = {
        "name": vip.name, "order": "10", "active": "on", "strategy": "least_open",
        "tier": "A", "ticket_type": "", "department": "", "members": [str(agent.pk)],
    }  # fmt: skip
    assert admin_client.post(f"/admin/sla/queue/{vip.pk}/change/", data).status_code == 302
    assert list(vip.members.all()) == [agent]
    refused = admin_client.post(
        f"/admin/sla/queue/{vip.pk}/change/", data | {"members": [str(bot.pk)]}
    )
    assert refused.status_code == 200  # the bot is never offered
    assert list(vip.members.all()) == [agent]

    made = admin_client.post(
        "/admin/sla/agentstatus/add/",
        {"user": str(agent.pk), "on_duty": "", "capacity": "12", "skills": ["complaint", "order"]},
    )
    assert made.status_code == 302
    status = AgentStatus.objects.get(user=agent)
    assert (status.on_duty, status.capacity, status.skills) == (False, 12, ["complaint", "order"])
    too_many = admin_client.post(
        f"/admin/sla/agentstatus/{status.pk}/change/",
        {"on_duty": "on", "capacity": "5000", "skills": []},
    )
    assert too_many.status_code == 200 and "容量必须在 0 到 1000 之间" in too_many.content.decode()
    assert AgentStatus.objects.get(pk=status.pk).capacity == 12


def test_hours_text():
    assert parse_hours_text("09:00-12:00，13:30 - 18:00") == [
        ["09:00", "12:00"],
        ["13:30", "18:00"],
    ]
    assert parse_hours_text("00:00-24:00") == [["00:00", "24:00"]]
    assert parse_hours_text("  ") == []
    assert EscalationStep  # the inline model is imported from the admin's models
