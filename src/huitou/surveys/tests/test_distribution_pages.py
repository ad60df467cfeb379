"""Distribution's pages and API: the staff list and form, open and close, the QR code for
print, the open link answered without a name, the portal's surveys section and the phone
survey an agent keys in."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.portal.selectors import SESSION_KEY
from huitou.surveys.distribution import do_distribution_create, do_distribution_open
from huitou.surveys.models import Distribution, Invitation, Response
from huitou.surveys.questionnaires import do_questionnaire_create

pytestmark = pytest.mark.django_db

QUESTIONS = [{"key": "q1", "kind": "scale", "text": "总体满意度", "overall": True}]


@pytest.fixture
def supervisor(db):
    return UserFactory(username="survey_lead", role="supervisor")


@pytest.fixture
def agent(db):
    return UserFactory(username="survey_agent", role="agent")


@pytest.fixture
def questionnaire(db):
    data = {"title": "门店意见卡", "body": {"sections": [{"questions": QUESTIONS}]}}
    return do_questionnaire_create(actor=None, data=data, builtin="test")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def opened(actor, questionnaire, **data) -> Distribution:
    given = {"name": "调查", "questionnaire": questionnaire.pk, "channels": ["email"], **data}
    made = do_distribution_create(actor=actor, data=given)
    return do_distribution_open(actor=actor, distribution_id=made.pk)


# --- the API -----------------------------------------------------------------------------------
def test_the_api_creates_opens_lists_and_closes_with_the_response_rate(
    api_as, supervisor, questionnaire
):
    for n in range(4):
        CustomerFactory(tier="A", email=f"c{n}@example.com")
    client = api_as(supervisor)
    made = client.post(
        "surveys/distributions",
        {"name": "重点客户", "questionnaire": questionnaire.pk, "preset": "key", "quota": 10},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["state"] == "draft" and body["segment"] == {"tier": ["A"]}
    pk = body["id"]
    opened_body = client.post(f"surveys/distributions/{pk}/open", {}).json()
    assert opened_body["state"] == "open" and opened_body["invitations"] == 4
    Invitation.objects.filter(distribution_id=pk).update(sent_at=timezone.now(), state="invited")
    first = Invitation.objects.filter(distribution_id=pk).first()
    first.state = "answered"
    first.save()
    listed = client.get("surveys/distributions").json()["items"]
    assert listed[0]["id"] == pk and listed[0]["response_rate"] == 0.25
    invitees = client.get(f"surveys/distributions/{pk}/invitations", state="answered").json()
    assert [row["id"] for row in invitees["items"]] == [first.pk]
    assert "/s/q/" in invitees["items"][0]["url"]
    closed = client.post(f"surveys/distributions/{pk}/close", {}).json()
    assert closed["state"] == "closed"
    assert Invitation.objects.filter(distribution_id=pk, state="expired").count() == 3


def test_the_api_names_the_bad_field(api_as, supervisor, questionnaire):
    client = api_as(supervisor)
    answer = client.post(
        "surveys/distributions",
        {
            "name": "x",
            "questionnaire": questionnaire.pk,
            "channels": ["email"],
            "sample_percent": 0,
        },
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "sample_percent"
    made = client.post(
        "surveys/distributions",
        {"name": "x", "questionnaire": questionnaire.pk, "channels": ["email"]},
    ).json()
    later = client.patch(
        f"surveys/distributions/{made['id']}",
        {"closes_at": (timezone.now() - timedelta(days=1)).isoformat(),
         "opens_at": timezone.now().isoformat()},
    )  # fmt: skip
    assert later.status_code == 422 and later.json()["detail"][0]["loc"][-1] == "closes_at"


def test_agents_and_managers_may_not_manage_distributions(api_as, agent, questionnaire):
    manager = UserFactory(username="boss", role="manager")
    for user in (agent, manager):
        assert api_as(user).get("surveys/distributions").status_code == 403
        assert logged_in(user).get("/surveys/distributions/").status_code == 403
    assert api_as(None).get("surveys/distributions").status_code == 401


# --- staff pages --------------------------------------------------------------------------------
def test_the_staff_form_creates_a_draft_and_the_page_opens_it(supervisor, questionnaire):
    CustomerFactory(tier="B", email="b@example.com")
    client = logged_in(supervisor)
    assert "流失客户调查" in client.get("/surveys/distributions/").content.decode()
    form = client.get("/surveys/distributions/new/?preset=lost").content.decode()
    assert "流失客户调查" in form
    posted = client.post(
        "/surveys/distributions/new/",
        {
            "name": "B 类客户抽样",
            "questionnaire": questionnaire.pk,
            "audience": "segment",
            "tier": ["B"],
            "sample_percent": "100",
            "channels": ["email"],
            "max_reminders": "1",
        },
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    distribution = Distribution.objects.get(name="B 类客户抽样")
    assert distribution.segment == {"tier": ["B"]}
    client.post(f"/surveys/distributions/{distribution.pk}/open/")
    page = client.get(f"/surveys/distributions/{distribution.pk}/").content.decode()
    assert 'data-state="scheduled"' in page
    bad = client.post(
        "/surveys/distributions/new/",
        {"name": "x", "questionnaire": questionnaire.pk, "audience": "segment",
         "sample_percent": "0", "max_reminders": "1", "channels": ["email"]},
    )  # fmt: skip
    assert bad.status_code == 422 and 'data-field="sample_percent"' in bad.content.decode()


def test_the_qr_code_is_an_svg_of_the_open_link_on_a_print_page(supervisor, questionnaire):
    card = opened(supervisor, questionnaire, audience="open", channels=["link"])
    client = logged_in(supervisor)
    svg = client.get(f"/surveys/distributions/{card.pk}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content and b"<path" in svg.content
    page = client.get(f"/surveys/distributions/{card.pk}/print/").content.decode()
    assert f"/s/o/{card.public_token}/" in page and "qr.svg" in page
    segment = opened(supervisor, questionnaire)
    assert client.get(f"/surveys/distributions/{segment.pk}/qr.svg").status_code == 404
    assert (
        logged_in(UserFactory(role="agent"))
        .get(f"/surveys/distributions/{card.pk}/qr.svg")
        .status_code
        == 403
    )


def test_the_open_link_is_answered_without_a_name(supervisor, questionnaire):
    card = opened(supervisor, questionnaire, audience="open", channels=["link"])
    client = Client()
    assert client.get(f"/s/o/{card.public_token}/").status_code == 200
    answered = client.post(f"/s/o/{card.public_token}/", {"q-q1": "4"})
    assert answered.status_code == 200, answered.content.decode()[:1000]
    response = Response.objects.get(distribution=card)
    assert response.customer_id is None and response.rating == 4


# --- the portal --------------------------------------------------------------------------------
def portal_client(customer) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"customer": customer.pk, "channel": "email", "to": customer.email}
    session.save()
    return client


def test_the_portal_shows_a_survey_to_its_invitee_only(supervisor, questionnaire):
    invited = CustomerFactory(tier="A", email="a@example.com")
    other = CustomerFactory(tier="B", email="b@example.com")
    distribution = opened(supervisor, questionnaire, segment={"tier": ["A"]}, in_portal=True)
    token = Invitation.objects.get(distribution=distribution).token
    page = portal_client(invited).get("/help/my/").content.decode()
    assert 'id="portal-surveys"' in page and f"/s/q/{token}/" in page
    assert 'id="portal-surveys"' not in portal_client(other).get("/help/my/").content.decode()
    hidden = opened(supervisor, questionnaire, segment={"tier": ["B"]}, in_portal=False)
    hidden_token = Invitation.objects.get(distribution=hidden).token
    assert hidden_token not in portal_client(other).get("/help/my/").content.decode()


# --- the phone survey --------------------------------------------------------------------------
def test_an_agent_keys_in_a_phone_survey_and_is_recorded_as_entering_it(
    supervisor, agent, questionnaire
):
    customer = CustomerFactory(tier="A", phone="13912345678")
    survey = opened(supervisor, questionnaire, audience="phone", segment={"tier": ["A"]})
    invitation = Invitation.objects.get(distribution=survey)
    assert invitation.customer == customer and invitation.channel == "phone"
    client = logged_in(agent)
    assert survey.name in client.get("/surveys/phone/").content.decode()
    listed = client.get(f"/surveys/phone/{survey.pk}/").content.decode()
    assert f"/surveys/phone/{survey.pk}/{invitation.pk}/" in listed
    page = client.get(f"/surveys/phone/{survey.pk}/{invitation.pk}/")
    assert page.status_code == 200 and "总体满意度" in page.content.decode()
    bad = client.post(f"/surveys/phone/{survey.pk}/{invitation.pk}/", {"q-q1": "9"})
    assert bad.status_code == 422
    done = client.post(f"/surveys/phone/{survey.pk}/{invitation.pk}/", {"q-q1": "2"})
    assert done.status_code == 302
    response = Response.objects.get(invitation=invitation)
    assert response.entered_by == agent and response.customer == customer
    assert response.rating == 2 and response.channel == "phone"
    invitation.refresh_from_db()
    assert invitation.state == "answered"


def test_the_phone_answers_api_records_the_agent(api_as, supervisor, agent, questionnaire):
    CustomerFactory(tier="A")
    survey = opened(supervisor, questionnaire, audience="phone", segment={"tier": ["A"]})
    invitation = Invitation.objects.get(distribution=survey)
    path = f"surveys/distributions/{survey.pk}/phone/{invitation.pk}"
    bad = api_as(agent).post(path, {"answers": {"q1": 7}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "q1"
    manager = UserFactory(username="boss", role="manager")
    assert api_as(manager).post(path, {"answers": {"q1": 5}}).status_code == 403
    made = api_as(agent).post(path, {"answers": {"q1": 5}})
    assert made.status_code == 201 and made.json()["entered_by"] == agent.pk
    assert api_as(agent).post(path, {"answers": {"q1": 5}}).status_code == 409


def test_a_manager_may_not_key_in_a_phone_survey(supervisor, questionnaire):
    CustomerFactory(tier="A")
    survey = opened(supervisor, questionnaire, audience="phone", segment={"tier": ["A"]})
    invitation = Invitation.objects.get(distribution=survey)
    manager = logged_in(UserFactory(username="boss", role="manager"))
    assert manager.get("/surveys/phone/").status_code == 403
    assert (
        manager.post(f"/surveys/phone/{survey.pk}/{invitation.pk}/", {"q-q1": "5"}).status_code
        == 403
    )
    assert not Response.objects.exists()


def test_an_open_distribution_edits_only_what_may_still_change(supervisor, questionnaire):
    CustomerFactory(tier="A", email="a@example.com")
    survey = opened(supervisor, questionnaire, segment={"tier": ["A"]})
    card = opened(supervisor, questionnaire, audience="open", channels=["link"])
    client = logged_in(supervisor)
    for shown in (survey, card):
        assert client.get(f"/surveys/distributions/{shown.pk}/").status_code == 200
    assert card.public_token in client.get(f"/surveys/distributions/{card.pk}/").content.decode()
    form = client.get(f"/surveys/distributions/{survey.pk}/edit/").content.decode()
    assert "只能修改名称" in form
    posted = client.post(
        f"/surveys/distributions/{survey.pk}/edit/",
        {"name": "新名称", "questionnaire": questionnaire.pk, "audience": "phone",
         "sample_percent": "5", "max_reminders": "2", "channels": ["sms"]},
    )  # fmt: skip
    assert posted.status_code == 302
    survey.refresh_from_db()
    assert survey.name == "新名称" and survey.max_reminders == 2
    assert survey.audience == "segment" and survey.sample_percent == 100
    assert survey.channels == ["email"]


def test_the_distribution_page_states_its_segment_in_words(supervisor, questionnaire):
    survey = opened(
        supervisor,
        questionnaire,
        segment={"tier": ["A", "B"], "stage": ["lost"], "last_contact_days": {"min": 90}},
    )
    page = logged_in(supervisor).get(f"/surveys/distributions/{survey.pk}/").content.decode()
    assert "价值等级: A、B" in page and "生命周期阶段: 流失" in page
    assert "距上次联系（天）: ≥ 90" in page and "[&#x27;A&#x27;" not in page
