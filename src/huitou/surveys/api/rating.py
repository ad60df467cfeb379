"""/api/v1/satisfaction: the rating after a contact — its rules and wording, and the
follow-ups of low ratings. The customer answers at the link itself (POST JSON to `url`)."""

from datetime import datetime

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huitou.core.pagination import ApiPagination
from huitou.core.permissions import check_permission
from huitou.core.schemas import Text

from ..models import FollowUp, SatisfactionRule
from ..rating import check_may_follow_up, do_follow_up_done, rating_settings
from ..rules import do_rating_settings_update, do_rule_delete, do_rule_save
from ..selectors import follow_up_list

router = Router(tags=["satisfaction"])


class ReasonOut(Schema):
    value: str
    label: str
    label_en: str = ""


class SettingsOut(Schema):
    labels: list[str] = Field(description="the five levels, from 5 (best) to 1")
    labels_en: list[str]
    reasons: list[ReasonOut]
    low_at_most: int = Field(description="a rating at or below this opens a follow-up")
    link_days: int
    change_days: int


class SettingsIn(Schema):
    labels: list[str] | None = None
    labels_en: list[str] | None = None
    reasons: list[dict] | None = None
    low_at_most: int | None = None
    link_days: int | None = None
    change_days: int | None = None


class RuleOut(Schema):
    id: int
    channel: str
    tier: str
    enabled: bool
    delay_minutes: int
    sample_percent: int
    cooldown_days: int
    questionnaire: int | None = Field(alias="questionnaire_id")


class RuleIn(Schema):
    channel: str | None = None
    tier: str | None = None
    enabled: bool | None = None
    delay_minutes: int | None = None
    sample_percent: int | None = None
    cooldown_days: int | None = None
    questionnaire: int | None = None


class FollowUpOut(Schema):
    id: int
    state: str
    ticket: int | None = Field(alias="response.ticket_id")
    ticket_number: str | None = None
    rating: int | None = Field(alias="response.rating")
    reason: str = Field(alias="response.reason")
    comment: str = Field(alias="response.comment")
    agent: int | None = Field(alias="response.agent_id")
    answered_at: datetime = Field(alias="response.answered_at")
    outcome: str
    done_at: datetime | None
    done_by: int | None = Field(alias="done_by_id")

    @staticmethod
    def resolve_ticket_number(obj) -> str | None:
        ticket = obj.response.ticket
        return ticket.number if ticket is not None else None


class FollowUpDoneIn(Schema):
    outcome: Text(2000)


def _given(payload: Schema) -> dict:
    return payload.model_dump(exclude_unset=True)


@router.get("/settings", response=SettingsOut)
def satisfaction_settings(request):
    """The five levels' names, the reasons offered for a low rating, link and change days."""
    check_permission(request.user, "surveys.manage_surveys")
    return rating_settings()


@router.patch("/settings", response=SettingsOut)
def satisfaction_settings_update(request, payload: SettingsIn):
    return do_rating_settings_update(actor=request.user, data=_given(payload))


@router.get("/rules", response=list[RuleOut])
def satisfaction_rules(request):
    """When to ask, per channel and tier (blank: any); the most specific rule wins."""
    check_permission(request.user, "surveys.manage_surveys")
    return list(SatisfactionRule.objects.order_by("channel", "tier", "pk"))


@router.post("/rules", response={201: RuleOut})
def satisfaction_rule_create(request, payload: RuleIn):
    return Status(201, do_rule_save(actor=request.user, data=_given(payload)))


@router.patch("/rules/{rule_id}", response=RuleOut)
def satisfaction_rule_update(request, rule_id: int, payload: RuleIn):
    return do_rule_save(actor=request.user, data=_given(payload), rule_id=rule_id)


@router.delete("/rules/{rule_id}", response={204: None})
def satisfaction_rule_delete(request, rule_id: int):
    do_rule_delete(actor=request.user, rule_id=rule_id)
    return Status(204, None)


class FollowUpFilter(Schema):
    state: str = Field("open", pattern="^(open|done|)$")


@router.get("/follow-ups", response=list[FollowUpOut])
@paginate(ApiPagination)
def satisfaction_follow_ups(request, filters: Query[FollowUpFilter]):
    """Low ratings to call back (open) or called back (done), of tickets you may see."""
    check_may_follow_up(request.user)
    return follow_up_list(user=request.user, state=filters.state)


@router.post("/follow-ups/{follow_up_id}/done", response=FollowUpOut)
def satisfaction_follow_up_done(request, follow_up_id: int, payload: FollowUpDoneIn):
    check_may_follow_up(request.user)
    if not follow_up_list(user=request.user, state="").filter(pk=follow_up_id).exists():
        raise Http404
    done = do_follow_up_done(actor=request.user, follow_up_id=follow_up_id, outcome=payload.outcome)
    return FollowUp.objects.select_related("response__ticket").get(pk=done.pk)
