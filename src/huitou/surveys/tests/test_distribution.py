"""Distributing a questionnaire: the segment and its sample, one invitation per invitee,
sending by e-mail (once) and SMS, reminders, close dates, quotas and the checks."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import ConflictError, DomainError
from huitou.core.models import OutboxMessage
from huitou.customers.models import Customer
from huitou.customers.tagging import do_manual_tag
from huitou.customers.tests.factories import CustomerFactory
from huitou.sms import backends as sms_backends
from huitou.sms.models import SmsSend
from huitou.surveys.answers import do_response_submit
from huitou.surveys.distribution import (
    do_distribution_close,
    do_distribution_create,
    do_distribution_open,
    do_distribution_update,
    do_survey_invites_send_due,
    draw_sample,
    segment_customers,
)
from huitou.surveys.models import Distribution, Invitation, Response
from huitou.surveys.questionnaires import do_questionnaire_create
from huitou.tickets.models import Ticket
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

# 10:00 in Beijing: outside the SMS quiet hours.
NOW = timezone.make_aware(datetime(2026, 12, 3, 10, 0))
QUESTIONS = [
    {"key": "q1", "kind": "scale", "text": "总体满意度", "overall": True},
    {"key": "q2", "kind": "text", "text": "建议", "required": False},
]


@pytest.fixture
def manager(db):
    return UserFactory(username="survey_lead", role="supervisor")


@pytest.fixture
def questionnaire(db):
    data = {"title": "客户满意度调查", "body": {"sections": [{"questions": QUESTIONS}]}}
    return do_questionnaire_create(actor=None, data=data, builtin="test")


def make(manager, questionnaire, **data):
    given = {"name": "年度调查", "questionnaire": questionnaire.pk, "channels": ["email"]}
    given.update(data)
    return do_distribution_create(actor=manager, data=given)


def opened(manager, questionnaire, **data) -> Distribution:
    made = make(manager, questionnaire, **data)
    return do_distribution_open(actor=manager, distribution_id=made.pk, now=NOW)


def contacted(customer, days_ago: int) -> None:
    ticket = TicketFactory(customer=customer)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=NOW - timedelta(days=days_ago))


# --- the segment and the sample ----------------------------------------------------------------
def test_the_segment_selects_by_tier_stage_tag_and_last_contact(manager):
    key = CustomerFactory(tier="A", stage="current", email="a@example.com")
    CustomerFactory(tier="B", stage="current")
    lost = CustomerFactory(tier="C")
    Customer.objects.filter(pk=lost.pk).update(stage="lost")
    tagged = CustomerFactory(tier="C", stage="current")
    do_manual_tag(actor=manager, customer=tagged, name="老客户")
    contacted(key, 10)
    contacted(lost, 400)

    def pks(segment):
        return set(segment_customers(segment, now=NOW).values_list("pk", flat=True))

    assert pks({"tier": ["A"]}) == {key.pk}
    assert pks({"stage": ["lost"]}) == {lost.pk}
    assert pks({"tag": ["老客户"]}) == {tagged.pk}
    assert pks({"last_contact_days": {"max": 30}}) == {key.pk}
    silent = pks({"last_contact_days": {"min": 180}})
    assert lost.pk in silent and key.pk not in silent
    assert pks({"tier": ["A", "C"], "stage": ["current"]}) == {key.pk, tagged.pk}


def test_merged_and_erased_customers_are_never_in_a_segment():
    kept = CustomerFactory(tier="A")
    merged, erased = CustomerFactory(tier="A"), CustomerFactory(tier="A")
    Customer.objects.filter(pk=merged.pk).update(merged_into=kept)
    Customer.objects.filter(pk=erased.pk).update(anonymised_at=NOW)
    assert list(segment_customers({"tier": ["A"]}).values_list("pk", flat=True)) == [kept.pk]


def test_the_sample_is_its_share_and_the_same_on_every_draw(manager, questionnaire):
    made = make(manager, questionnaire, sample_percent=30)
    ids = list(range(1, 101))
    first = draw_sample(made, ids)
    assert len(first) == 30
    assert draw_sample(made, list(reversed(ids))) == first
    other = make(manager, questionnaire, sample_percent=30)
    assert draw_sample(other, ids) != first


def test_opening_invites_each_sampled_customer_once(manager, questionnaire):
    for _n in range(10):
        CustomerFactory(tier="A", email="x@example.com")
    CustomerFactory(tier="B")
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]}, sample_percent=50)
    invitations = Invitation.objects.filter(distribution=distribution)
    assert invitations.count() == 5
    assert set(invitations.values_list("kind", flat=True)) == {"survey"}
    assert all(row.customer.tier == "A" for row in invitations)
    assert all(row.version_id == questionnaire.current_version_id for row in invitations)
    assert all(row.due_at == NOW for row in invitations)
    with pytest.raises(ConflictError):
        do_distribution_open(actor=manager, distribution_id=distribution.pk, now=NOW)
    assert invitations.count() == 5


def test_the_database_keeps_one_invitation_per_invitee(manager, questionnaire):
    customer = CustomerFactory(tier="A")
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]})
    first = Invitation.objects.get(distribution=distribution)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            kind="survey", token="other", customer=customer, distribution=distribution,
            due_at=NOW, expires_at=NOW + timedelta(days=1),
        )  # fmt: skip
    assert Invitation.objects.filter(distribution=distribution).get() == first


def test_presets_fill_the_segment(manager, questionnaire):
    lost = do_distribution_create(
        actor=manager, data={"questionnaire": questionnaire.pk}, preset="lost"
    )
    assert lost.segment == {"stage": ["lost"]} and lost.name == "流失客户调查"
    key = do_distribution_create(
        actor=manager, data={"questionnaire": questionnaire.pk}, preset="key"
    )
    assert key.segment == {"tier": ["A"]}
    card = do_distribution_create(
        actor=manager, data={"questionnaire": questionnaire.pk}, preset="comment_card"
    )
    assert card.audience == "open" and card.public_token


# --- checks ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"sample_percent": 0}, "sample_percent"),
        ({"sample_percent": 101}, "sample_percent"),
        ({"quota": 0}, "quota"),
        ({"channels": ["fax"]}, "channels"),
        ({"channels": []}, "channels"),
        ({"opens_at": NOW, "closes_at": NOW - timedelta(days=1)}, "closes_at"),
        ({"segment": {"tier": ["Z"]}}, "segment.tier"),
        ({"segment": {"tag": ["没有这个标签"]}}, "segment.tag"),
        ({"segment": {"color": ["red"]}}, "segment.color"),
        ({"segment": {"last_contact_days": {"min": 30, "max": 10}}}, "segment.last_contact_days"),
        ({"max_reminders": 9}, "max_reminders"),
        ({"name": "  "}, "name"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(manager, questionnaire, data, field):
    with pytest.raises(DomainError) as refused:
        make(manager, questionnaire, **data)
    assert refused.value.field == field


def test_a_questionnaire_must_be_published_and_not_archived(manager, questionnaire):
    questionnaire.archived = True
    questionnaire.save()
    with pytest.raises(DomainError) as refused:
        make(manager, questionnaire)
    assert refused.value.field == "questionnaire"


def test_an_open_distribution_keeps_its_sample_but_may_move_its_close_date(manager, questionnaire):
    CustomerFactory(tier="A", email="a@example.com")
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]})
    with pytest.raises(ConflictError) as refused:
        do_distribution_update(
            actor=manager, distribution_id=distribution.pk, data={"sample_percent": 10}
        )
    assert refused.value.field == "sample_percent"
    later = NOW + timedelta(days=60)
    do_distribution_update(
        actor=manager, distribution_id=distribution.pk, data={"closes_at": later}
    )
    assert Invitation.objects.get(distribution=distribution).expires_at == later


def test_an_agent_may_not_create_a_distribution(questionnaire):
    with pytest.raises(PermissionDenied):
        do_distribution_create(
            actor=UserFactory(role="agent"),
            data={"name": "x", "questionnaire": questionnaire.pk, "channels": ["email"]},
        )


# --- sending -----------------------------------------------------------------------------------
def test_due_invitations_go_by_email_once_with_their_link(manager, questionnaire):
    CustomerFactory(tier="A", email="wang@example.com")
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]})
    assert do_survey_invites_send_due(now=NOW) == 1
    invitation = Invitation.objects.get(distribution=distribution)
    assert invitation.state == "invited" and invitation.channel == "email"
    outbox = OutboxMessage.objects.get(kind="survey")
    assert outbox.to == ["wang@example.com"]
    assert outbox.key == f"survey:invite:{invitation.pk}:0"
    assert f"/s/q/{invitation.token}/" in outbox.body and "客户满意度调查" in outbox.subject
    assert do_survey_invites_send_due(now=NOW + timedelta(minutes=1)) == 0
    assert OutboxMessage.objects.filter(kind="survey").count() == 1


def test_sms_goes_through_the_sms_app_when_there_is_no_email(manager, questionnaire):
    CustomerFactory(tier="A", email="", phone="13912345678")
    sms_backends.outbox.clear()
    distribution = opened(
        manager, questionnaire, segment={"tier": ["A"]}, channels=["email", "sms"]
    )
    assert do_survey_invites_send_due(now=NOW) == 1
    invitation = Invitation.objects.get(distribution=distribution)
    assert invitation.channel == "sms" and invitation.address == "13912345678"
    assert len(sms_backends.outbox) == 1 and invitation.token in sms_backends.outbox[0].text
    assert SmsSend.objects.get().purpose == "marketing"


def test_a_number_over_its_daily_limit_waits_until_tomorrow(manager, questionnaire, settings):
    settings.HUITOU_SMS_DAILY_LIMIT = 1
    CustomerFactory(tier="A", email="", phone="13912345678")
    SmsSend.objects.create(to="13912345678", purpose="notification", status="sent", sent_at=NOW)
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]}, channels=["sms"])
    assert do_survey_invites_send_due(now=NOW) == 0
    invitation = Invitation.objects.get(distribution=distribution)
    assert invitation.state == "scheduled" and invitation.due_at == NOW + timedelta(days=1)


def test_a_customer_with_no_address_by_its_channels_is_skipped(manager, questionnaire):
    CustomerFactory(tier="A", email="", phone="13912345678")
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]}, channels=["email"])
    do_survey_invites_send_due(now=NOW)
    invitation = Invitation.objects.get(distribution=distribution)
    assert invitation.state == "skipped" and invitation.skip_reason == "unreachable"


def test_a_future_start_waits_for_it(manager, questionnaire):
    CustomerFactory(tier="A", email="a@example.com")
    opened(manager, questionnaire, segment={"tier": ["A"]}, opens_at=NOW + timedelta(days=2))
    assert do_survey_invites_send_due(now=NOW) == 0
    assert do_survey_invites_send_due(now=NOW + timedelta(days=2)) == 1


def test_reminders_follow_their_days_and_count_and_stop_after_answering(manager, questionnaire):
    CustomerFactory(tier="A", email="a@example.com")
    CustomerFactory(tier="A", email="b@example.com")
    distribution = opened(
        manager, questionnaire, segment={"tier": ["A"]}, remind_after_days=3, max_reminders=2
    )
    assert do_survey_invites_send_due(now=NOW) == 2
    answered, waiting = Invitation.objects.filter(distribution=distribution).order_by("pk")
    do_response_submit(version=answered.version, answers={"q1": 5}, invitation=answered, now=NOW)
    assert do_survey_invites_send_due(now=NOW + timedelta(days=2)) == 0
    assert do_survey_invites_send_due(now=NOW + timedelta(days=3)) == 1
    assert do_survey_invites_send_due(now=NOW + timedelta(days=4)) == 0
    assert do_survey_invites_send_due(now=NOW + timedelta(days=6)) == 1
    assert do_survey_invites_send_due(now=NOW + timedelta(days=20)) == 0
    waiting.refresh_from_db()
    answered.refresh_from_db()
    assert waiting.reminders_sent == 2 and answered.reminders_sent == 0
    keys = set(OutboxMessage.objects.filter(to=["b@example.com"]).values_list("key", flat=True))
    assert keys == {f"survey:invite:{waiting.pk}:{n}" for n in range(3)}
    assert OutboxMessage.objects.filter(to=["a@example.com"]).count() == 1


def test_the_close_date_closes_the_distribution_and_expires_open_invitations(
    manager, questionnaire
):
    CustomerFactory(tier="A", email="a@example.com")
    CustomerFactory(tier="A", email="b@example.com")
    closes = NOW + timedelta(days=7)
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]}, closes_at=closes)
    do_survey_invites_send_due(now=NOW)
    answered = Invitation.objects.filter(distribution=distribution).order_by("pk").first()
    do_response_submit(version=answered.version, answers={"q1": 4}, invitation=answered, now=NOW)
    assert all(row.expires_at == closes for row in distribution.invitations.all())
    do_survey_invites_send_due(now=closes)
    distribution.refresh_from_db()
    assert distribution.state == "closed"
    states = sorted(distribution.invitations.values_list("state", flat=True))
    assert states == ["answered", "expired"]


def test_the_quota_closes_the_distribution(manager, questionnaire):
    for n in range(3):
        CustomerFactory(tier="A", email=f"c{n}@example.com")
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]}, quota=1)
    do_survey_invites_send_due(now=NOW)
    first = distribution.invitations.order_by("pk").first()
    do_response_submit(version=first.version, answers={"q1": 5}, invitation=first, now=NOW)
    do_survey_invites_send_due(now=NOW + timedelta(minutes=1))
    distribution.refresh_from_db()
    assert distribution.state == "closed"
    assert distribution.invitations.filter(state="expired").count() == 2


def test_closing_by_hand_expires_open_invitations(manager, questionnaire):
    CustomerFactory(tier="A", email="a@example.com")
    distribution = opened(manager, questionnaire, segment={"tier": ["A"]})
    do_distribution_close(actor=manager, distribution_id=distribution.pk, now=NOW)
    assert distribution.invitations.get().state == "expired"
    assert do_survey_invites_send_due(now=NOW) == 0
    with pytest.raises(ConflictError):
        do_distribution_close(actor=manager, distribution_id=distribution.pk, now=NOW)


def test_an_open_link_answer_is_anonymous(manager, questionnaire):
    distribution = opened(manager, questionnaire, audience="open", channels=["link"], segment={})
    assert not distribution.invitations.exists()
    response = do_response_submit(
        version=questionnaire.current_version, answers={"q1": 3}, distribution=distribution
    )
    assert Response.objects.get(pk=response.pk).customer_id is None
