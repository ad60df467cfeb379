"""The quality-evaluation loop of [000]: a round walks plan → questionnaire → collect →
process → analyse → report in order; its figures per indicator (timeliness, process,
attitude, skill) and the SLA's timeliness match hand-computed values; the printable report
is for the reading roles only."""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.test import Client

from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.models import Complaint
from huitou.complaints.tests.factories import make_complaint
from huitou.core.errors import ConflictError, DomainError
from huitou.customers.tests.factories import CustomerFactory
from huitou.sla.models import TicketSla
from huitou.surveys.evaluation import (
    do_evaluation_advance,
    do_evaluation_analyse,
    do_evaluation_create,
    do_evaluation_issue,
    do_evaluation_update,
    process_summary,
)
from huitou.surveys.evaluation_measures import (
    complaint_measures,
    register_measure_source,
    sla_measures,
    unregister_measure_source,
)
from huitou.surveys.models import (
    Answer,
    EvaluationRound,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
)
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 11, 1), date(2026, 11, 30)
IN_PERIOD = datetime(2026, 11, 10, 12, 0, tzinfo=ZONE)
AFTER = datetime(2026, 12, 2, 12, 0, tzinfo=ZONE)
PLAN = {
    "name": "2026 年 11 月服务质量测评",
    "period_start": "2026-11-01",
    "period_end": "2026-11-30",
    "aims": "了解热线服务的及时性和态度",
    "scope": "热线与在线客服",
    "respondents": "测评期内接受过服务的客户",
    "inputs": ["satisfaction", "complaints"],
}


@pytest.fixture
def supervisor(db):
    return UserFactory(username="ev_lead", role="supervisor")


def questionnaire() -> tuple[Questionnaire, dict]:
    """Three performance questions (timeliness T1, attitude A1 and A2) and timeliness's
    importance W1, on the 5-point scale."""
    made = Questionnaire.objects.create(code="EV-T", title="测评问卷", purpose="evaluation")
    version = QuestionnaireVersion.objects.create(questionnaire=made, number=1)
    made.current_version = version
    made.save()
    specs = [
        ("T1", "timeliness", "perception"),
        ("A1", "attitude", ""),
        ("A2", "attitude", "perception"),
        ("W1", "timeliness", "importance"),
    ]
    questions = {
        key: Question.objects.create(
            version=version, position=n, key=key, kind="scale", text=key,
            indicator=indicator, side=side, options=[{"value": str(v)} for v in range(5, 0, -1)],
        )
        for n, (key, indicator, side) in enumerate(specs, start=1)
    }  # fmt: skip
    return made, questions


def sheet(made, questions, answers: dict, *, at=IN_PERIOD, customer="make", rating=None):
    response = Response.objects.create(
        questionnaire=made,
        version=made.current_version,
        customer=CustomerFactory() if customer == "make" else customer,
        answered_at=at,
        rating=rating,
    )
    for key, number in answers.items():
        Answer.objects.create(response=response, question=questions[key], number=number)
    return response


def round_at(stage: str, *, actor, questionnaire=None, **extra) -> EvaluationRound:
    made = do_evaluation_create(actor=actor, data=PLAN)
    EvaluationRound.objects.filter(pk=made.pk).update(
        stage=stage, questionnaire=questionnaire, **extra
    )
    made.refresh_from_db()
    return made


# --- stages ------------------------------------------------------------------------------------
def test_a_round_moves_one_stage_at_a_time_and_cannot_skip_ahead(supervisor):
    made = do_evaluation_create(actor=supervisor, data=PLAN)
    assert made.stage == "plan"
    with pytest.raises(ConflictError) as refused:
        do_evaluation_advance(actor=supervisor, round_id=made.pk, to="collect")
    assert refused.value.field == "stage"
    for stage in ("questionnaire", "collect", "process", "analyse"):
        if stage == "collect":
            do_evaluation_update(
                actor=supervisor, round_id=made.pk, data={"questionnaire": "evaluation"}
            )
        made = do_evaluation_advance(actor=supervisor, round_id=made.pk, now=AFTER)
        assert made.stage == stage


def test_the_plan_needs_its_aims_before_the_questionnaire(supervisor):
    made = do_evaluation_create(actor=supervisor, data={**PLAN, "aims": ""})
    with pytest.raises(DomainError) as refused:
        do_evaluation_advance(actor=supervisor, round_id=made.pk)
    assert refused.value.field == "aims"


def test_a_satisfaction_survey_round_needs_a_questionnaire_to_collect(supervisor):
    made = round_at("questionnaire", actor=supervisor)
    with pytest.raises(DomainError) as refused:
        do_evaluation_advance(actor=supervisor, round_id=made.pk)
    assert refused.value.field == "questionnaire"


def test_the_report_cannot_come_before_the_analysis(supervisor):
    made = round_at("analyse", actor=supervisor)
    with pytest.raises(ConflictError) as refused:
        do_evaluation_advance(actor=supervisor, round_id=made.pk)
    assert refused.value.field == "stage"
    do_evaluation_analyse(actor=supervisor, round_id=made.pk, now=AFTER)
    assert do_evaluation_advance(actor=supervisor, round_id=made.pk).stage == "report"


def test_going_back_before_the_analysis_drops_its_figures(supervisor):
    made = round_at("analyse", actor=supervisor)
    do_evaluation_analyse(actor=supervisor, round_id=made.pk, now=AFTER)
    back = do_evaluation_advance(actor=supervisor, round_id=made.pk, to="collect")
    assert back.stage == "collect" and back.analysed_at is None and back.results == {}


def test_an_issued_report_needs_findings_and_actions_and_is_then_frozen(supervisor):
    made = round_at("analyse", actor=supervisor)
    do_evaluation_analyse(actor=supervisor, round_id=made.pk, now=AFTER)
    do_evaluation_advance(actor=supervisor, round_id=made.pk)
    with pytest.raises(DomainError) as refused:
        do_evaluation_issue(actor=supervisor, round_id=made.pk)
    assert refused.value.field == "findings"
    do_evaluation_update(
        actor=supervisor, round_id=made.pk, data={"findings": "态度好", "actions": "缩短等待"}
    )
    assert do_evaluation_issue(actor=supervisor, round_id=made.pk).reported_at is not None
    with pytest.raises(ConflictError):
        do_evaluation_advance(actor=supervisor, round_id=made.pk, to="analyse")
    with pytest.raises(ConflictError):
        do_evaluation_update(actor=supervisor, round_id=made.pk, data={"findings": "改"})


def test_the_plan_cannot_change_once_collecting(supervisor):
    made = round_at("collect", actor=supervisor)
    with pytest.raises(ConflictError) as refused:
        do_evaluation_update(actor=supervisor, round_id=made.pk, data={"period_end": "2026-12-31"})
    assert refused.value.field == "period_end"


def test_an_agent_may_not_run_a_round(db):
    with pytest.raises(PermissionDenied):
        do_evaluation_create(actor=UserFactory(role="agent"), data=PLAN)


def test_api_a_period_ending_before_it_starts_is_a_422_naming_period_end(api_as, supervisor):
    answer = api_as(supervisor).post(
        "surveys/evaluations", {**PLAN, "period_start": "2026-11-30", "period_end": "2026-11-01"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "period_end"
    assert not EvaluationRound.objects.exists()


def test_api_advancing_out_of_order_is_a_409_and_in_order_moves_on(api_as, supervisor):
    client = api_as(supervisor)
    made = client.post("surveys/evaluations", PLAN).json()
    assert (
        client.post(f"surveys/evaluations/{made['id']}/advance", {"to": "report"}).status_code
        == 409
    )
    moved = client.post(f"surveys/evaluations/{made['id']}/advance", {})
    assert moved.status_code == 200 and moved.json()["stage"] == "questionnaire"


# --- figures -----------------------------------------------------------------------------------
def test_indicator_means_and_top_two_box_match_hand_computed_values(supervisor):
    made, questions = questionnaire()
    sheet(made, questions, {"T1": 5, "A1": 4, "A2": 2, "W1": 4}, rating=5)
    sheet(made, questions, {"T1": 3, "A1": 5, "A2": 5, "W1": 2}, rating=3)
    sheet(made, questions, {"T1": 1, "A1": 1, "A2": 1})  # a straight-liner: left out
    sheet(made, questions, {"T1": 4}, customer=None)  # incomplete and anonymous
    sheet(made, questions, {"T1": 1, "A1": 1, "A2": 2}, at=AFTER)  # after the period
    round_ = round_at("analyse", actor=supervisor, questionnaire=made)
    results = do_evaluation_analyse(actor=supervisor, round_id=round_.pk, now=AFTER).results
    assert results["process"] == {
        "responses": 4, "incomplete": 1, "anonymous": 1, "straight_liners": 1, "analysed": 3,
    }  # fmt: skip
    figures = {row["indicator"]: row for row in results["indicators"]}
    # timeliness: 5, 3, 4 → mean 4.0, top two 2 of 3; importance (4 + 2) / 2.
    assert figures["timeliness"] == {
        "indicator": "timeliness", "mean": 4.0, "n": 3, "top_two": 0.6667, "importance": 3.0,
    }  # fmt: skip
    # attitude: 4, 2, 5, 5 → mean 4.0, top two 3 of 4.
    assert figures["attitude"]["mean"] == 4.0 and figures["attitude"]["top_two"] == 0.75
    assert figures["process"] == {
        "indicator": "process", "mean": None, "n": 0, "top_two": None, "importance": None,
    }  # fmt: skip
    assert results["overall"] == {"mean": 4.0, "n": 2, "top_two": 0.5}
    by_key = {row["key"]: row for row in results["questions"]}
    assert by_key["A2"]["mean"] == 3.5 and by_key["A2"]["n"] == 2


def test_the_process_summary_counts_only_the_linked_period(supervisor):
    made, questions = questionnaire()
    sheet(
        made, questions, {"T1": 2, "A1": 3, "A2": 4}, at=datetime(2026, 10, 31, 23, 0, tzinfo=ZONE)
    )
    sheet(
        made, questions, {"T1": 2, "A1": 3, "A2": 4}, at=datetime(2026, 11, 30, 23, 0, tzinfo=ZONE)
    )
    round_ = round_at("process", actor=supervisor, questionnaire=made)
    assert process_summary(round_)["responses"] == 1


def sla(ticket, *, started, first_due, first_at=None, due, resolved=None, paused=None):
    TicketSla.objects.filter(ticket=ticket).update(
        started_at=started, first_response_due=first_due, first_response_at=first_at,
        resolution_due=due, resolved_at=resolved, paused_at=paused,
    )  # fmt: skip


def test_sla_timeliness_shares_are_hand_computed(db):
    h = timedelta(hours=1)
    t0 = IN_PERIOD
    tickets = [TicketFactory() for _ in range(5)]
    assert TicketSla.objects.count() == 5
    # A: both met.  B: both late.  C: nothing yet, both overdue.  D: first met; resolution
    # paused before its due time (neither).  E: started before the period (left out).
    sla(
        tickets[0],
        started=t0,
        first_due=t0 + h,
        first_at=t0 + h / 2,
        due=t0 + 8 * h,
        resolved=t0 + 7 * h,
    )
    sla(
        tickets[1],
        started=t0,
        first_due=t0 + h,
        first_at=t0 + 2 * h,
        due=t0 + 8 * h,
        resolved=t0 + 9 * h,
    )
    sla(tickets[2], started=t0, first_due=t0 + h, due=t0 + 8 * h)
    sla(
        tickets[3], started=t0, first_due=t0 + h, first_at=t0 + h, due=t0 + 8 * h, paused=t0 + 2 * h
    )
    sla(tickets[4], started=t0 - timedelta(days=30), first_due=t0, first_at=t0 - h, due=t0,
        resolved=t0 - h)  # fmt: skip
    start, end = datetime(2026, 11, 1, tzinfo=ZONE), datetime(2026, 12, 1, tzinfo=ZONE)
    rows = {row["key"]: row for row in sla_measures(start=start, end=end, now=AFTER)}
    # first response: met A, D; breached B, C → 2 / 4.  resolution: met A; breached B, C → 1 / 3.
    assert (rows["sla_first_response"]["value"], rows["sla_first_response"]["n"]) == (0.5, 4)
    assert (rows["sla_resolution"]["value"], rows["sla_resolution"]["n"]) == (0.3333, 3)
    assert rows["sla_first_response"]["indicator"] == "timeliness"


def test_complaint_response_figures_are_hand_computed(db):
    replied, silent = make_complaint(), make_complaint()
    Complaint.objects.filter(pk=replied.pk).update(
        received_at=IN_PERIOD,
        replied_at=IN_PERIOD + timedelta(hours=3),
        first_contact_resolution=True,
    )
    Complaint.objects.filter(pk=silent.pk).update(received_at=IN_PERIOD, reopen_count=1)
    start, end = datetime(2026, 11, 1, tzinfo=ZONE), datetime(2026, 12, 1, tzinfo=ZONE)
    rows = {row["key"]: row for row in complaint_measures(start=start, end=end)}
    assert rows["complaint_replied"]["value"] == 0.5 and rows["complaint_replied"]["n"] == 2
    assert rows["complaint_reply_hours"]["value"] == 3.0
    assert rows["complaint_first_contact"]["value"] == 0.5
    assert rows["complaint_reopened"]["value"] == 0.5


def test_a_registered_source_adds_its_measures_when_the_plan_names_its_input(supervisor):
    def qa_scores(*, start, end):
        return [{"key": "qa_mean", "indicator": "skill", "label": "质检平均分", "value": 87.5,
                 "unit": "points", "n": 4}]  # fmt: skip

    register_measure_source(name="test_qa", input="phone_tracking", compute=qa_scores)
    try:
        planned = round_at("analyse", actor=supervisor, inputs=["phone_tracking"])
        unplanned = round_at("analyse", actor=supervisor)
        keys = [
            [
                row["key"]
                for row in do_evaluation_analyse(actor=supervisor, round_id=r.pk).results[
                    "measures"
                ]
            ]
            for r in (planned, unplanned)
        ]
    finally:
        unregister_measure_source("test_qa")
    assert "qa_mean" in keys[0] and "qa_mean" not in keys[1]


# --- pages -------------------------------------------------------------------------------------
@pytest.fixture
def reported(supervisor):
    made, questions = questionnaire()
    sheet(made, questions, {"T1": 5, "A1": 4, "A2": 2, "W1": 4})
    round_ = round_at("analyse", actor=supervisor, questionnaire=made)
    do_evaluation_analyse(actor=supervisor, round_id=round_.pk, now=AFTER)
    do_evaluation_advance(actor=supervisor, round_id=round_.pk)
    do_evaluation_update(
        actor=supervisor,
        round_id=round_.pk,
        data={"findings": "及时性待提高", "actions": "增加早班"},
    )
    return do_evaluation_issue(actor=supervisor, round_id=round_.pk)


@pytest.mark.parametrize("role", ["supervisor", "manager", "qa", "admin"])
def test_the_report_renders_for_the_reading_roles(reported, role):
    client = Client()
    client.force_login(UserFactory(role=role))
    page = client.get(f"/surveys/evaluations/{reported.pk}/report/")
    assert page.status_code == 200
    text = page.content.decode()
    for label in (
        "及时性",
        "流程顺畅",
        "服务态度",
        "业务技能",
        "首次响应达标率（SLA）",
        "增加早班",
    ):
        assert label in text
    assert "2026-11-01" in text and "2026-11-30" in text


def test_the_report_refuses_agents(reported):
    client = Client()
    client.force_login(UserFactory(role="agent"))
    assert client.get(f"/surveys/evaluations/{reported.pk}/report/").status_code == 403
    assert client.get(f"/surveys/evaluations/{reported.pk}/").status_code == 403


def test_the_report_links_its_print_stylesheet_with_media_print(reported, supervisor):
    client = Client()
    client.force_login(supervisor)
    text = client.get(f"/surveys/evaluations/{reported.pk}/report/").content.decode()
    assert 'href="/static/huitou/evaluation_print.css" media="print"' in text
    css = Path(finders.find("huitou/evaluation_print.css")).read_text()
    assert "@media print" in css and ".topbar" in css


def test_a_manager_reads_the_report_but_may_not_run_the_round(reported):
    client = Client()
    client.force_login(UserFactory(role="manager"))
    assert client.get("/surveys/evaluations/").status_code == 200
    assert client.get(f"/surveys/evaluations/{reported.pk}/").status_code == 403


def test_the_round_page_walks_a_round_from_plan_to_report(supervisor):
    client = Client()
    client.force_login(supervisor)
    created = client.post("/surveys/evaluations/new/", {**PLAN, "inputs": PLAN["inputs"]})
    assert created.status_code == 302
    made = EvaluationRound.objects.get()
    page = f"/surveys/evaluations/{made.pk}/"
    assert client.post(f"{page}advance/").status_code == 302
    client.post(f"{page}save/", {"questionnaire": "evaluation"})
    made.refresh_from_db()
    assert made.questionnaire.builtin == "evaluation"
    for stage in ("collect", "process", "analyse"):
        client.post(f"{page}advance/")
        shown = client.get(page)
        assert shown.status_code == 200 and f'id="stage-{stage}"' in shown.content.decode()
    client.post(f"{page}analyse/")
    client.post(f"{page}advance/")
    made.refresh_from_db()
    assert made.stage == "report" and made.analysed_at is not None
    text = client.get(page).content.decode()
    assert 'id="indicator-table"' in text and 'aria-current="step"' in text
