"""The API: per-role access, the flow inspect → submit → appeal → decide, 422 naming fields."""

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.quality.models import Inspection

from .helpers import conversation, general_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        role: UserFactory(role=role)
        for role in ("agent", "supervisor", "qa", "manager", "handler", "admin")
    }


def test_the_inspection_flow_through_the_api(api_as, people):
    general_card()
    agent, qa, supervisor = people["agent"], people["qa"], people["supervisor"]
    ticket = conversation(agent=agent, replies=["您好，保修三年，感谢来电。"])
    inspector = api_as(qa)
    made = inspector.post("quality/inspections", {"ticket": ticket.pk})
    assert made.status_code == 201, made.content
    body = made.json()
    pk = body["id"]
    greeting = next(i for i in body["items"] if i["key"] == "greeting")
    assert greeting["auto_result"] == "pass" and "您好" in greeting["auto_reason"]
    queue = inspector.get("quality/inspections", queue="true").json()
    assert [row["id"] for row in queue["items"]] == [pk]
    items = {i["key"]: {"result": i["auto_result"] or "pass"} for i in body["items"]}
    items["accuracy"] = {"result": "fail", "comment": "保修期说错了"}
    scored = inspector.put(
        f"quality/inspections/{pk}/score", {"items": items, "comment": "注意政策"}
    )
    assert scored.status_code == 200 and scored.json()["score"] == 0.0
    assert inspector.post(f"quality/inspections/{pk}/submit", {}).status_code == 200
    own = api_as(agent)
    mine = own.get(f"quality/inspections/{pk}").json()
    assert next(i for i in mine["items"] if i["key"] == "accuracy")["comment"] == "保修期说错了"
    assert api_as(people["agent"]).get("quality/inspections").json()["count"] == 1
    other = UserFactory(role="agent")
    assert api_as(other).get(f"quality/inspections/{pk}").status_code == 404
    assert api_as(other).get("quality/inspections").json()["count"] == 0
    appeal = own.post(f"quality/inspections/{pk}/appeal", {"reason": "保修期是三年，我没说错"})
    assert appeal.status_code == 201
    again = own.post(f"quality/inspections/{pk}/appeal", {"reason": "再来一次"})
    assert again.status_code == 409
    boss = api_as(supervisor)
    appeals = boss.get("quality/appeals").json()
    assert [a["inspection"] for a in appeals] == [pk]
    missing = boss.post(
        f"quality/appeals/{appeals[0]['id']}/decide", {"decision": "overturned", "note": "属实"}
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "new_score"
    decided = boss.post(
        f"quality/appeals/{appeals[0]['id']}/decide",
        {"decision": "overturned", "new_score": 92.5, "note": "核实属实"},
    )
    assert decided.status_code == 200 and decided.json()["state"] == "overturned"
    assert Inspection.objects.get(pk=pk).score == 92.5
    figures = api_as(people["manager"]).get("quality/figures").json()
    assert figures["overall"] == {"count": 1, "average": 92.5, "critical_fail_rate": 0.0}
    assert figures["by_agent"][0]["agent"] == agent.pk


def test_bad_input_is_a_422_naming_the_field(api_as, people):
    general_card()
    inspector = api_as(people["qa"])
    made = inspector.post("quality/inspections", {"ticket": 999999})
    assert made.status_code == 422 and made.json()["detail"][0]["loc"][-1] == "ticket"
    pk = inspector.post("quality/inspections", {"ticket": conversation().pk}).json()["id"]
    bad = inspector.put(
        f"quality/inspections/{pk}/score", {"items": {"greeting": {"result": "great"}}}
    )
    assert bad.status_code == 422 and "greeting" in str(bad.json()["detail"])
    unknown = inspector.put(
        f"quality/inspections/{pk}/score", {"items": {"nope": {"result": "pass"}}}
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "nope"
    early = inspector.post(f"quality/inspections/{pk}/submit", {})
    assert early.status_code == 422 and early.json()["detail"][0]["loc"][-1] == "listening"
    card = api_as(people["supervisor"]).post(
        "quality/scorecards", {"name": "新表", "items": [{"key": "a", "label": "A", "weight": 0}]}
    )
    assert card.status_code == 422 and "weight" in str(card.json()["detail"])


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("quality/scorecards", {"supervisor", "qa", "admin"}),
        ("quality/inspections", {"agent", "supervisor", "qa", "admin"}),
        ("quality/appeals", {"supervisor", "admin"}),
        ("quality/calibrations", {"supervisor", "qa", "admin"}),
        ("quality/mystery-tasks", {"supervisor", "qa", "admin"}),
        ("quality/plans", {"supervisor", "qa", "admin"}),
        ("quality/figures", {"supervisor", "manager", "qa", "admin"}),
    ],
)
def test_who_may_read_what(api_as, people, path, allowed):
    seen = {role for role, user in people.items() if api_as(user).get(path).status_code == 200}
    assert seen == allowed


def test_handlers_see_nothing_and_agents_cannot_inspect(api_as, people):
    ticket = conversation()
    general_card()
    for role in ("agent", "handler", "manager"):
        answer = api_as(people[role]).post("quality/inspections", {"ticket": ticket.pk})
        assert answer.status_code == 403, role
    assert api_as(people["handler"]).get("quality/inspections").status_code == 403


def test_scorecards_and_plans_are_created_by_supervisors(api_as, people):
    lead = api_as(people["supervisor"])
    card = lead.post(
        "quality/scorecards",
        {
            "name": "邮件质检",
            "channels": ["email"],
            "items": [
                {"key": "greeting", "label": "问候", "weight": 20, "check": "greeting"},
                {"key": "accuracy", "label": "准确", "weight": 80, "critical": True},
            ],
        },
    )
    assert card.status_code == 201 and card.json()["items"][1]["critical"] is True
    assert (
        api_as(people["qa"])
        .post(
            "quality/scorecards", {"name": "x", "items": [{"key": "a", "label": "A", "weight": 5}]}
        )
        .status_code
        == 403
    )
    plan = lead.post(
        "quality/plans",
        {"name": "每周5%", "kind": "agent_share", "percent": 5, "inspectors": [people["qa"].pk]},
    )
    assert plan.status_code == 201
    assert lead.post(f"quality/plans/{plan.json()['id']}/run", {}).json() == {"drawn": 0}
    bad = lead.post(
        "quality/plans", {"name": "坏", "kind": "random", "inspectors": [people["agent"].pk]}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "inspectors"
