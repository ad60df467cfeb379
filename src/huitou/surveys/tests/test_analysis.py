"""The satisfaction figures against hand-computed values: CSAT, average, NPS, response rate,
breakdowns, SERVQUAL gaps, importance × performance; the page, its export and who sees it."""

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory, desk_user
from huitou.core.periods import Period
from huitou.customers.tests.factories import CustomerFactory
from huitou.surveys.answers import do_response_submit
from huitou.surveys.figures import Cube, Scope
from huitou.surveys.models import Invitation, Response
from huitou.surveys.questionnaires import do_questionnaire_create
from huitou.surveys.rating import do_rating_submit
from huitou.tickets.services import do_ticket_update
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def supervisor(db):
    return UserFactory(username="lead", role="supervisor")


def rated(rating: int, *, channel="web", assignee=None, at=None) -> Response:
    ticket = TicketFactory(
        channel=channel,
        assignee=assignee,
        customer=CustomerFactory(email=f"{rating}{channel}@x.cn"),
    )
    do_ticket_update(actor=desk_user(), ticket=ticket, changes={"status": "resolved"})
    token = Invitation.objects.get(ticket=ticket).token
    return do_rating_submit(token=token, rating=rating, now=at)


def questionnaire(questions: list[dict], code: str):
    made = do_questionnaire_create(
        actor=desk_user(),
        data={"code": code, "title": code, "body": {"sections": [{"questions": questions}]}},
    )
    return made.current_version


def test_csat_average_and_nps_match_hand_computed_values(api_as, supervisor):
    for rating in (5, 4, 4, 2, 1):
        rated(rating)
    version = questionnaire([{"key": "N1", "kind": "nps", "text": "推荐吗？"}], "NPS")
    for score in (10, 9, 9, 7, 3):
        do_response_submit(version=version, answers={"N1": score})
    today = timezone.localdate().isoformat()
    body = api_as(supervisor).get("satisfaction/summary", start=today, end=today).json()
    # CSAT: 3 of 5 ratings are 4–5; average (5+4+4+2+1)/5; NPS: 3 promoters, 1 detractor of 5.
    assert body["responses"] == 10 and body["rated"] == 5
    assert body["csat"] == 0.6 and body["average"] == 3.2
    assert body["nps"] == 40.0 and body["nps_answers"] == 5


def test_the_summary_is_empty_but_valid_without_answers_and_nps_null_without_nps(
    api_as, supervisor
):
    client = api_as(supervisor)
    empty = client.get("satisfaction/summary").json()
    assert empty["responses"] == 0 and empty["csat"] is None and empty["average"] is None
    assert empty["nps"] is None
    rated(5)
    only_ratings = client.get("satisfaction/summary").json()
    assert only_ratings["csat"] == 1.0 and only_ratings["nps"] is None


def test_the_period_is_inclusive_of_both_dates_and_bad_dates_name_the_field(api_as, supervisor):
    day = datetime(2026, 11, 10, 23, 30, tzinfo=SHANGHAI)
    rated(5, at=day)
    rated(1, at=day + timedelta(days=1))  # 11-11 local
    client = api_as(supervisor)
    assert (
        client.get("satisfaction/summary", start="2026-11-10", end="2026-11-10").json()["responses"]
        == 1
    )
    both = client.get("satisfaction/summary", start="2026-11-10", end="2026-11-11").json()
    assert both["responses"] == 2 and both["csat"] == 0.5
    backwards = client.get("satisfaction/summary", start="2026-11-12", end="2026-11-10")
    assert backwards.status_code == 422 and "end" in json.dumps(backwards.json())
    bad = client.get("satisfaction/summary", start="2026-13-01")
    assert bad.status_code == 422 and "start" in json.dumps(bad.json())


def test_the_response_rate_counts_answered_invitations_of_those_sent(api_as, supervisor):
    rated(5)
    for _ in range(3):
        ticket = TicketFactory(channel="web", customer=CustomerFactory(email=f"{_}q@x.cn"))
        do_ticket_update(actor=desk_user(), ticket=ticket, changes={"status": "resolved"})
    body = api_as(supervisor).get("satisfaction/summary").json()
    assert (body["invited"], body["answered_invitations"], body["response_rate"]) == (4, 1, 0.25)


def test_breakdowns_per_channel_and_agent_and_the_trend(api_as, supervisor):
    agent = UserFactory(username="wang", full_name="王芳", role="agent")
    rated(5, channel="web", assignee=agent)
    rated(2, channel="web", assignee=agent)
    rated(4, channel="email")
    client = api_as(supervisor)
    rows = {row["key"]: row for row in client.get("satisfaction/breakdown", by="channel").json()}
    assert rows["web"]["responses"] == 2 and rows["web"]["csat"] == 0.5
    assert rows["web"]["average"] == 3.5 and rows["email"]["csat"] == 1.0
    agents = client.get("satisfaction/breakdown", by="agent").json()
    assert {k: agents[0][k] for k in ("label", "responses")} == {"label": "王芳", "responses": 2}
    assert client.get("satisfaction/breakdown", by="colour").status_code == 422
    trend = client.get("satisfaction/trend", period="day").json()
    assert sum(row["responses"] for row in trend) == 3
    table = client.get("satisfaction/crosstab", rows="channel", cols="tier").json()
    assert [row["key"] for row in table["rows"]] == ["email", "web"]


def test_a_cube_of_many_dimensions_adds_up_to_the_figures_of_each_dimension(supervisor):
    wang = UserFactory(username="wang", full_name="王芳", role="agent")
    li = UserFactory(username="li", full_name="李雷", role="agent")
    for rating, channel, agent in (
        (5, "web", wang), (2, "web", wang), (4, "email", li), (1, "email", wang),
        (3, "phone", li), (5, "phone", None),
    ):  # fmt: skip
        rated(rating, channel=channel, assignee=agent)
    scope = Scope(period=Period.last_days(7))
    dimensions = ("channel", "tier", "ticket_type", "department", "agent")
    cube = Cube(user=supervisor, scope=scope, dimensions=dimensions)
    assert len(cube.rows) >= 5  # grouped by all five at once
    for by in dimensions:
        alone = Cube(user=supervisor, scope=scope, dimensions=(by,))
        assert cube.breakdown(by) == alone.breakdown(by), by
    assert cube.crosstab("channel", "agent") == Cube(
        user=supervisor, scope=scope, dimensions=("channel", "agent")
    ).crosstab("channel", "agent")
    web = next(row for row in cube.breakdown("channel") if row["key"] == "web")
    assert (web["responses"], web["csat"], web["average"]) == (2, 0.5, 3.5)
    wang_row = next(row for row in cube.breakdown("agent") if row["label"] == "王芳")
    assert (wang_row["responses"], wang_row["average"]) == (3, round(8 / 3, 3))
    total = cube.total()
    assert (total["responses"], total["csat"], total["average"]) == (6, 0.5, round(20 / 6, 3))


def test_servqual_gaps_and_importance_match_hand_computed_values(api_as, supervisor):
    version = questionnaire(
        [
            {"key": "E1", "kind": "scale", "text": "期望：按时做到", "dimension": "reliability",
             "side": "expectation", "pair": "1"},
            {"key": "P1", "kind": "scale", "text": "感知：按时做到", "dimension": "reliability",
             "side": "perception", "pair": "1"},
            {"key": "I1", "kind": "scale", "text": "可靠性有多重要", "dimension": "reliability",
             "side": "importance"},
            {"key": "E2", "kind": "scale", "text": "期望：设施", "dimension": "tangibles",
             "side": "expectation", "pair": "2"},
            {"key": "P2", "kind": "scale", "text": "感知：设施", "dimension": "tangibles",
             "side": "perception", "pair": "2"},
            {"key": "I2", "kind": "scale", "text": "有形性有多重要", "dimension": "tangibles",
             "side": "importance"},
        ],
        "SQ",
    )  # fmt: skip
    for sheet in ({"E1": 5, "P1": 3, "I1": 5, "E2": 3, "P2": 4, "I2": 2},
                  {"E1": 4, "P1": 4, "I1": 4, "E2": 3, "P2": 4, "I2": 3}):  # fmt: skip
        do_response_submit(version=version, answers=sheet)
    rows = {row["key"]: row for row in api_as(supervisor).get("satisfaction/servqual").json()}
    reliability, tangibles = rows["reliability"], rows["tangibles"]
    # E (5+4)/2 = 4.5, P (3+4)/2 = 3.5, gap −1; importance 4.5.
    assert (reliability["expectation"], reliability["perception"]) == (4.5, 3.5)
    assert reliability["gap"] == -1.0 and reliability["importance"] == 4.5
    assert tangibles["gap"] == 1.0 and tangibles["importance"] == 2.5
    # Importance above the mean (3.5) and performance below it (3.75): concentrate here.
    assert reliability["quadrant"] == "concentrate" and tangibles["quadrant"] == "overkill"


def test_indicators_give_performance_top_two_and_importance(api_as, supervisor):
    version = questionnaire(
        [
            {"key": "T1", "kind": "scale", "text": "回复及时吗", "indicator": "timeliness"},
            {"key": "T2", "kind": "scale", "text": "及时有多重要", "indicator": "timeliness",
             "side": "importance"},
            {"key": "A1", "kind": "scale", "text": "态度好吗", "indicator": "attitude"},
        ],
        "EV",
    )  # fmt: skip
    for sheet in (
        {"T1": 5, "T2": 5, "A1": 3},
        {"T1": 2, "T2": 4, "A1": 4},
        {"T1": 4, "T2": 3, "A1": 5},
    ):
        do_response_submit(version=version, answers=sheet)
    rows = {row["key"]: row for row in api_as(supervisor).get("satisfaction/indicators").json()}
    timeliness = rows["timeliness"]
    assert timeliness["performance"] == round(11 / 3, 3) and timeliness["importance"] == 4.0
    assert timeliness["top_two"] == round(2 / 3, 4)
    assert rows["attitude"]["performance"] == 4.0 and rows["attitude"]["importance"] is None


def test_the_analysis_page_shows_the_figures_to_analysts_and_refuses_agents(
    supervisor, django_assert_max_num_queries
):
    rated(5)
    rated(1)
    page = Client()
    page.force_login(supervisor)
    page.get("/surveys/")  # warm the caches (content types, permissions)
    with django_assert_max_num_queries(22):  # one scan for all breakdowns (figures.Cube)
        body = page.get("/surveys/").content.decode()
    assert 'data-kpi="csat">50%' in body and 'id="chart-servqual"' in body
    assert 'id="survey-data"' in body and "echarts.min.js" in body
    for role in ("manager", "qa", "admin"):
        other = Client()
        other.force_login(UserFactory(role=role))
        assert other.get("/surveys/").status_code == 200
    for role in ("agent", "handler"):
        other = Client()
        other.force_login(UserFactory(role=role))
        assert other.get("/surveys/").status_code == 403
        assert other.get("/surveys/export.csv").status_code == 403


def test_the_export_lists_each_answer_sheet_as_csv_and_xlsx(supervisor):
    rated(2)
    page = Client()
    page.force_login(supervisor)
    response = page.get("/surveys/export.csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "答卷" and len(rows) == 2 and rows[1][9] == "一般"
    xlsx = page.get("/surveys/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert page.get("/surveys/export.pdf").status_code == 404


def test_the_export_defuses_a_comment_that_a_spreadsheet_would_run(supervisor):
    ticket = TicketFactory(channel="web", customer=CustomerFactory(email="f@x.cn"))
    do_ticket_update(actor=desk_user(), ticket=ticket, changes={"status": "resolved"})
    token = Invitation.objects.get(ticket=ticket).token
    do_rating_submit(token=token, rating=1, comment='=HYPERLINK("http://evil.example","点这里")')
    page = Client()
    page.force_login(supervisor)
    rows = list(
        csv.reader(io.StringIO(page.get("/surveys/export.csv").content.decode("utf-8-sig")))
    )
    assert rows[1][12] == '\'=HYPERLINK("http://evil.example","点这里")'


def test_themes_group_the_customers_words(supervisor):
    for number, comment in enumerate(("等待时间太长了", "等待时间太长了", "师傅很专业")):
        ticket = TicketFactory(channel="web", customer=CustomerFactory(email=f"t{number}@x.cn"))
        do_ticket_update(actor=desk_user(), ticket=ticket, changes={"status": "resolved"})
        do_rating_submit(
            token=Invitation.objects.get(ticket=ticket).token, rating=3, comment=comment
        )
    page = Client()
    page.force_login(supervisor)
    body = page.get("/surveys/themes/").content.decode()
    assert "等待时间太长了" in body and "师傅很专业" in body


def test_the_customer_page_and_the_agents_own_page_show_their_ratings(supervisor):
    agent = UserFactory(username="li", role="agent")
    other = UserFactory(username="zhao", role="agent")
    mine = rated(4, assignee=agent)
    theirs = rated(1, assignee=other)
    Response.objects.filter(pk=mine.pk).update(comment="李师傅很耐心")
    Response.objects.filter(pk=theirs.pk).update(comment="赵的客户不满意")
    page = Client()
    page.force_login(agent)
    own = page.get("/surveys/mine/").content.decode()
    assert "李师傅很耐心" in own and "赵的客户不满意" not in own
    assert api_mine(agent)["rated"] == 1
    desk = Client()
    desk.force_login(supervisor)
    customer_page = desk.get(f"/customers/{mine.customer_id}/").content.decode()
    assert 'id="survey-section"' in customer_page and "李师傅很耐心" in customer_page


def api_mine(user) -> dict:
    client = Client()
    client.force_login(user)
    return client.get("/api/v1/satisfaction/mine").json()
