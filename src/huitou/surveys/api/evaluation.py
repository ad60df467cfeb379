"""/api/v1/surveys/evaluations: the quality-evaluation rounds of [000] (plan → questionnaire
→ collect → process → analyse → report). Running a round takes surveys.manage_surveys;
reading one (and its figures) surveys.view_survey_analysis."""

from datetime import date, datetime

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from huitou.core.pagination import ApiPagination

from ..evaluation import (
    access_evaluation,
    collect_figures,
    do_evaluation_advance,
    do_evaluation_analyse,
    do_evaluation_create,
    do_evaluation_issue,
    do_evaluation_update,
    evaluation_list,
)

router = Router(tags=["surveys"])


class EvaluationOut(Schema):
    id: int
    name: str
    stage: str = Field(description="plan, questionnaire, collect, process, analyse or report")
    aims: str
    scope: str
    respondents: str
    plan: str
    inputs: list[str] = Field(
        description="satisfaction, observation, complaints, phone_tracking, mystery_shopper, "
        "opinion"
    )
    period_start: date
    period_end: date
    questionnaire: int | None = Field(alias="questionnaire_id")
    distribution: int | None = Field(alias="distribution_id")
    findings: str
    actions: str
    analysed_at: datetime | None
    reported_at: datetime | None
    created_at: datetime


class EvaluationDetailOut(EvaluationOut):
    results: dict = Field(
        description="as analysed: collect, process, indicators [{indicator, mean, n, top_two, "
        "importance}], questions, overall, measures [{key, indicator, input, label, value, "
        "unit, n}]"
    )


class EvaluationIn(Schema):
    name: str | None = None
    aims: str | None = None
    scope: str | None = None
    respondents: str | None = None
    plan: str | None = None
    inputs: list[str] | None = None
    period_start: str | None = Field(None, description="ISO date, inclusive")
    period_end: str | None = Field(None, description="ISO date, inclusive; not before the start")
    questionnaire: int | str | None = Field(
        None, description='a questionnaire id, or "evaluation" for the builtin one'
    )
    distribution: int | None = None
    findings: str | None = None
    actions: str | None = None


class AdvanceIn(Schema):
    to: str = Field("", description="empty: the next stage; or an earlier stage to go back to")


class CollectOut(Schema):
    invitations: int
    invited: int
    answered: int
    rate: float | None = Field(description="answered / invited, 0–1")
    responses: int = Field(description="answer sheets the round counts so far")


def _given(payload: Schema) -> dict:
    return payload.model_dump(exclude_unset=True)


@router.get("/evaluations", response=list[EvaluationOut])
@paginate(ApiPagination)
def evaluation_rounds(request):
    return evaluation_list(user=request.user)


@router.post("/evaluations", response={201: EvaluationDetailOut})
def evaluation_create(request, payload: EvaluationIn):
    return Status(201, do_evaluation_create(actor=request.user, data=_given(payload)))


@router.get("/evaluations/{round_id}", response=EvaluationDetailOut)
def evaluation_detail(request, round_id: int):
    return access_evaluation(user=request.user, round_id=round_id)


@router.patch("/evaluations/{round_id}", response=EvaluationDetailOut)
def evaluation_update(request, round_id: int, payload: EvaluationIn):
    return do_evaluation_update(actor=request.user, round_id=round_id, data=_given(payload))


@router.post("/evaluations/{round_id}/advance", response=EvaluationDetailOut)
def evaluation_advance(request, round_id: int, payload: AdvanceIn):
    """To the next stage after its checks (409 out of order, e.g. a report before the
    analysis), or back to an earlier one."""
    return do_evaluation_advance(actor=request.user, round_id=round_id, to=payload.to)


@router.post("/evaluations/{round_id}/analyse", response=EvaluationDetailOut)
def evaluation_analyse(request, round_id: int):
    """Compute the figures now and keep them on the round (the report shows these)."""
    return do_evaluation_analyse(actor=request.user, round_id=round_id)


@router.post("/evaluations/{round_id}/issue", response=EvaluationDetailOut)
def evaluation_issue(request, round_id: int):
    """Issue the report: it needs findings and improvement actions; the round is then frozen."""
    return do_evaluation_issue(actor=request.user, round_id=round_id)


@router.get("/evaluations/{round_id}/collect", response=CollectOut)
def evaluation_collect(request, round_id: int):
    """The linked distribution's invited / answered / response rate, as of now."""
    return collect_figures(access_evaluation(user=request.user, round_id=round_id, run=True))
