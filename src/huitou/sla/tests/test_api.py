import pytest
from django.core.management import CommandError, call_command

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.sla.models import BusinessCalendar, CalendarDay, SlaPolicy
from huitou.tickets.services import do_ticket_create, do_ticket_update

from .conftest import sh

pytestmark = pytest.mark.django_db
OFFICE = {"mon": [["09:00", "12:00"], ["13:30", "18:00"]], "tue": [["09:00", "18:00"]]}


@pytest.fixture
def admin():
    return UserFactory(role="admin")


def test_admin_creates_a_calendar_and_a_policy_and_previews_it(api_as, admin):
    client = api_as(admin)
    response = client.post(
        "sla/calendars",
        {"name": "售后工作日", "timezone": "Asia/Shanghai", "hours": OFFICE,
         "holidays": ["2026-10-01"], "workdays": ["2026-10-11"]},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    calendar = response.json()
    assert calendar["holidays"] == ["2026-10-01"] and calendar["workdays"] == ["2026-10-11"]
    response = client.post(
        "sla/policies",
        {"name": "售后 A 类", "order": 1, "conditions": {"tier": "A", "type": "technical"},
         "calendar": "售后工作日", "first_response_minutes": 60, "next_response_minutes": 120,
         "resolution_minutes": 600},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["conditions"] == {"tier": "A", "type": "technical"}
    preview = client.get(
        "sla/preview", tier="A", type="technical", priority="normal", channel="phone",
        start=sh(11, 23, 11, 30).isoformat(),
    ).json()  # fmt: skip
    assert preview["policy"] == "售后 A 类"
    assert preview["first_response_due"].startswith("2026-11-23T06:00")  # 14:00 in Shanghai
    assert preview["resolution_due"].startswith("2026-11-24T06:00")  # 5 h Mon, 5 h Tue
    other = client.get("sla/preview", tier="B", type="technical").json()
    assert other["policy"] == "默认"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"hours": {"mon": [["09:00", "08:00"]]}}, "hours"),
        ({"hours": {"mon": [["9", "5"]]}}, "hours"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"holidays": ["2026-10-01"], "workdays": ["2026-10-01"]}, "workdays"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_calendars_are_422_naming_the_field(api_as, admin, payload, field):
    data = {"name": "新日历", "hours": OFFICE, **payload}
    response = api_as(admin).post("sla/calendars", data)
    assert response.status_code == 422, response.json()
    assert field in response.json()["detail"][0]["loc"]
    assert not BusinessCalendar.objects.filter(name="新日历").exists()


def test_bad_policies_are_refused(api_as, admin):
    client = api_as(admin)
    base = {"name": "P", "calendar": "后台工作日", "first_response_minutes": 30,
            "resolution_minutes": 600}  # fmt: skip
    assert client.post("sla/policies", {**base, "calendar": "无此日历"}).status_code == 422
    bad = client.post("sla/policies", {**base, "conditions": {"tier": "Z"}})
    assert bad.status_code == 422 and "tier" in bad.json()["detail"][0]["loc"]
    assert client.post("sla/policies", {**base, "resolution_minutes": 0}).status_code == 422
    assert client.post("sla/policies", {**base, "name": "默认"}).status_code == 409
    assert not SlaPolicy.objects.filter(name="P").exists()
    assert api_as(UserFactory(role="supervisor")).post("sla/policies", base).status_code == 403


def test_the_ticket_shows_its_sla(api_as, clock):
    agent = UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=agent, customer=CustomerFactory(), channel="web", type="order", subject="查订单"
    )
    body = api_as(agent).get(f"tickets/{ticket.pk}").json()["sla"]
    assert set(body) >= {"policy", "first_response_due", "resolution_due", "state"}
    listed = api_as(agent).get("tickets").json()["items"][0]["sla"]
    assert listed["policy"] == "默认"


def test_compliance_report_and_breaches(api_as, clock):
    agent, supervisor = UserFactory(role="agent"), UserFactory(role="supervisor")
    on_time = do_ticket_create(
        actor=agent, customer=CustomerFactory(tier="A"), channel="phone", type="order",
        subject="准时",
    )  # fmt: skip
    late = do_ticket_create(
        actor=agent, customer=CustomerFactory(tier="C"), channel="phone", type="order",
        subject="超时",
    )  # fmt: skip
    clock.set(sh(11, 23, 10, 20))
    do_ticket_update(actor=agent, ticket=on_time, changes={"status": "resolved"})
    clock.set(sh(11, 27, 10))  # Friday: past the 默认 resolution due (Thu 10:00)
    do_ticket_update(actor=agent, ticket=late, changes={"status": "resolved"})
    client = api_as(supervisor)
    report = client.get("sla/report", start="2026-11-23", end="2026-11-23", group_by="tier").json()
    rows = {row["label"]: row for row in report["groups"]}
    assert rows["A"]["resolution_compliance"] == 1.0 and rows["A"]["tickets"] == 1
    assert rows["C"]["resolution_compliance"] == 0.0
    assert rows["A"]["avg_resolution_minutes"] == 20.0
    assert rows["C"]["avg_resolution_minutes"] == 4 * 450  # Mon 10:00 → Fri 10:00
    assert report["overall"]["tickets"] == 2
    for group in ("policy", "type", "team", "agent"):
        assert client.get("sla/report", group_by=group, start="2026-11-23").status_code == 200
    assert client.get("sla/report", group_by="weather").status_code == 422
    breaches = client.get("sla/breaches", start="2026-11-23", end="2026-11-23").json()
    assert {(row["number"], row["metric"]) for row in breaches} == {
        (late.number, "first_response"),
        (late.number, "resolution"),
        (on_time.number, "first_response"),  # nobody replied within its 30 minutes
    }
    assert api_as(agent).get("sla/report").status_code == 403


def test_import_days_from_csv_and_ics(tmp_path, admin):
    csv_file = tmp_path / "days.csv"
    csv_file.write_text("date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-11,班,调休\n")
    call_command("sla", "import-days", "后台工作日", str(csv_file))
    days = dict(CalendarDay.objects.values_list("date__day", "kind"))
    assert days == {1: "holiday", 11: "workday"}
    ics = tmp_path / "cn.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\n"
        "DTEND;VALUE=DATE:20270104\r\nSUMMARY:元旦 休\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
        "DTSTART;VALUE=DATE:20270105\r\nSUMMARY:元旦 班\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    call_command("sla", "import-days", "后台工作日", str(ics))
    kinds = dict(CalendarDay.objects.filter(date__year=2027).values_list("date__day", "kind"))
    assert kinds == {1: "holiday", 2: "holiday", 3: "holiday", 5: "workday"}
    bad = tmp_path / "bad.csv"
    bad.write_text("2026-12-01,holiday\n2026-13-40,holiday\n")
    with pytest.raises(CommandError, match="row 2"):
        call_command("sla", "import-days", "后台工作日", str(bad))
    assert not CalendarDay.objects.filter(date__month=12, date__year=2026).exists()
    with pytest.raises(CommandError, match="没有名为"):
        call_command("sla", "import-days", "无此日历", str(csv_file))


def test_sla_pages_and_the_duty_switch(client, clock):
    agent = UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=agent, customer=CustomerFactory(), channel="web", type="order", subject="查订单"
    )
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-sla"' in page and "默认" in page and 'data-state="on_track"' in page
    inbox = client.get("/tickets/").content.decode()
    assert "sla-on_track" in inbox
    assert client.get("/sla/").status_code == 403
    assert client.post("/sla/", {"on_duty": "0"}).status_code == 302
    assert agent.agent_status.on_duty is False
    assert "离岗" in client.get("/tickets/").content.decode()
    client.force_login(UserFactory(role="supervisor"))
    page = client.get("/sla/", {"group_by": "tier", "start": "2026-11-01"}).content.decode()
    assert 'id="sla-report"' in page and 'id="queues"' in page


def test_transfer_from_the_ticket_page(client, clock):
    supervisor, other = UserFactory(role="supervisor"), UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=supervisor, customer=CustomerFactory(), channel="web", type="order", subject="x"
    )
    client.force_login(supervisor)
    assert 'id="transfer"' in client.get(f"/tickets/{ticket.pk}/").content.decode()
    client.post(f"/sla/transfer/{ticket.pk}/", {"assignee": other.pk, "reason": "换人跟进"})
    ticket.refresh_from_db()
    assert ticket.assignee == other


def test_policy_input_that_cannot_work_is_refused(api_as, admin):
    client = api_as(admin)
    base = {"name": "P", "calendar": "后台工作日", "first_response_minutes": 30,
            "resolution_minutes": 600}  # fmt: skip
    for conditions in ("A", [], 5, {"ticket_type": "complaint"}):
        response = client.post("sla/policies", {**base, "conditions": conditions})
        assert response.status_code == 422, conditions
    sparse = client.post(
        "sla/calendars", {"name": "每周一小时", "hours": {"mon": [["09:00", "10:00"]]}}
    )
    assert sparse.status_code == 201
    too_long = client.post(
        "sla/policies", {**base, "calendar": "每周一小时", "resolution_minutes": 525600}
    )
    assert too_long.status_code == 422
    assert client.post("sla/policies", {**base, "calendar": "a\x00"}).status_code == 422
    assert (
        client.post(
            "sla/calendars", {"name": "x", "timezone": "localtime", "hours": OFFICE}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "sla/calendars", {"name": "y", "hours": {}, "workdays": ["2026-10-10"]}
        ).status_code
        == 422
    )
    assert client.get("sla/agents/999999").status_code == 404
    assert not SlaPolicy.objects.filter(name="P").exists()


def test_transfer_to_a_queue_with_nobody_free_leaves_it_waiting_there(api_as):
    from huitou.sla.models import Queue

    supervisor = UserFactory(role="supervisor")
    agent = UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=supervisor, customer=CustomerFactory(), channel="web", type="order", subject="x"
    )
    ticket.assignee = agent
    ticket.save()
    # No members. (Not the VIP desk: it takes tier A customers only, see test_queue_conditions.)
    support = Queue.objects.get(name="技术支持")
    body = (
        api_as(agent)
        .post(f"tickets/{ticket.pk}/transfer", {"queue": support.pk, "reason": "需要工程师"})
        .json()
    )
    assert body["assignee"] is None and body["queue"] == support.pk
