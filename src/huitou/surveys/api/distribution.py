"""/api/v1/surveys/distributions: sending a questionnaire to a sample of a segment, to anyone
with its link or QR code, or to a phone list; opening and closing it; its invitees; and an
agent's answers keyed in during a phone survey."""

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huitou.core.pagination import ApiPagination

from ..answers import do_response_submit
from ..distribution import (
    access_distribution,
    access_phone_invitation,
    answer_url,
    check_may_enter,
    distribution_list,
    do_distribution_close,
    do_distribution_create,
    do_distribution_open,
    do_distribution_update,
    invitee_list,
    open_url,
    response_rate,
)
from ..distribution_checks import PRESETS

router = Router(tags=["surveys"])


class DistributionOut(Schema):
    id: int
    name: str
    questionnaire: int = Field(alias="questionnaire_id")
    questionnaire_title: str = Field(alias="questionnaire.title")
    audience: str = Field(description="segment | open | phone")
    segment: dict = Field(description="{tier, tag, stage, last_contact_days: {min, max}}")
    sample_percent: int
    channels: list[str] = Field(description="among email, sms, link")
    quota: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    remind_after_days: int | None
    max_reminders: int
    in_portal: bool
    state: str = Field(description="draft | open | closed")
    invitations: int = Field(alias="invitation_count")
    reached: int = Field(alias="reached_count", description="invitees sent to or answered")
    responses: int = Field(alias="response_count")
    response_rate: float | None = Field(None, description="answered ÷ reached, 0–1")
    public_url: str | None = Field(None, description="the open link (open audience)")
    created_at: datetime

    @staticmethod
    def resolve_response_rate(obj) -> float | None:
        return response_rate(obj)

    @staticmethod
    def resolve_public_url(obj) -> str | None:
        return open_url(obj) if obj.audience == "open" else None


class DistributionIn(Schema):
    questionnaire: int | None = None
    name: str | None = None
    audience: str | None = None
    segment: dict | None = None
    sample_percent: int | None = None
    channels: list[str] | None = None
    quota: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    remind_after_days: int | None = None
    max_reminders: int | None = None
    in_portal: bool | None = None


class DistributionCreateIn(DistributionIn):
    preset: str = Field("", description=f"one of: {', '.join(PRESETS)}")


class InvitationOut(Schema):
    id: int
    customer: int | None = Field(alias="customer_id")
    customer_name: str | None = None
    state: str = Field(description="scheduled | invited | answered | skipped | expired")
    skip_reason: str
    channel: str
    due_at: datetime
    sent_at: datetime | None
    reminders_sent: int
    expires_at: datetime
    answered_at: datetime | None
    url: str

    @staticmethod
    def resolve_customer_name(obj) -> str | None:
        return obj.customer.name if obj.customer_id else None

    @staticmethod
    def resolve_url(obj) -> str:
        return answer_url(obj)


class InvitationFilter(Schema):
    state: str = Field("", pattern="^(scheduled|invited|answered|skipped|expired|)$")


class DistributionFilter(Schema):
    state: str = Field("", pattern="^(draft|open|closed|)$")


class PhoneAnswersIn(Schema):
    answers: dict = Field(description="keyed by question key, as the answer page takes them")


class PhoneAnswersOut(Schema):
    id: int
    invitation: int | None = Field(alias="invitation_id")
    entered_by: int | None = Field(alias="entered_by_id")
    rating: int | None
    nps: int | None
    answered_at: datetime


def _given(payload: Schema) -> dict:
    return payload.model_dump(exclude_unset=True)


def _out(request, distribution_id: int):
    return access_distribution(user=request.user, distribution_id=distribution_id)


@router.get("/distributions", response=list[DistributionOut])
@paginate(ApiPagination)
def distributions(request, filters: Query[DistributionFilter]):
    """Every distribution with its invitations, responses and response rate."""
    return distribution_list(user=request.user, state=filters.state)


@router.post("/distributions", response={201: DistributionOut})
def distribution_create(request, payload: DistributionCreateIn):
    """A draft; `preset` (lost, silent, key, exit, comment_card) fills what is left out."""
    data = _given(payload)
    preset = data.pop("preset", "")
    made = do_distribution_create(actor=request.user, data=data, preset=preset)
    return Status(201, _out(request, made.pk))


@router.get("/distributions/{distribution_id}", response=DistributionOut)
def distribution_detail(request, distribution_id: int):
    return _out(request, distribution_id)


@router.patch("/distributions/{distribution_id}", response=DistributionOut)
def distribution_update(request, distribution_id: int, payload: DistributionIn):
    """A draft changes freely; an open one its name, close date, quota, reminders, portal."""
    do_distribution_update(
        actor=request.user, distribution_id=distribution_id, data=_given(payload)
    )
    return _out(request, distribution_id)


@router.post("/distributions/{distribution_id}/open", response=DistributionOut)
def distribution_open(request, distribution_id: int):
    """Start: a segment or phone survey draws its sample and invites each customer once."""
    do_distribution_open(actor=request.user, distribution_id=distribution_id)
    return _out(request, distribution_id)


@router.post("/distributions/{distribution_id}/close", response=DistributionOut)
def distribution_close(request, distribution_id: int):
    """Stop: unanswered invitations expire."""
    do_distribution_close(actor=request.user, distribution_id=distribution_id)
    return _out(request, distribution_id)


@router.get("/distributions/{distribution_id}/invitations", response=list[InvitationOut])
@paginate(ApiPagination)
def distribution_invitations(request, distribution_id: int, filters: Query[InvitationFilter]):
    """The invitees and where each stands."""
    return invitee_list(_out(request, distribution_id), state=filters.state)


@router.post(
    "/distributions/{distribution_id}/phone/{invitation_id}",
    response={201: PhoneAnswersOut},
)
def distribution_phone_answers(
    request, distribution_id: int, invitation_id: int, payload: PhoneAnswersIn
):
    """A phone survey: the agent keys in what the customer answered (entered_by is them)."""
    check_may_enter(request.user)
    invitation = access_phone_invitation(
        user=request.user, distribution_id=distribution_id, invitation_id=invitation_id
    )
    response = do_response_submit(
        version=invitation.version,
        answers=payload.answers,
        invitation=invitation,
        entered_by=request.user,
    )
    return Status(201, response)
