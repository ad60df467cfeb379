"""/api/v1/surveys/questionnaires: questionnaires built by staff (surveys.manage_surveys) and
their published versions; /api/v1/surveys/answers/{token} and /api/v1/surveys/open/{token}:
a customer's answers (no login) through an invitation's link or a distribution's public link.

The body of a version (sections and questions) and the answers' shapes per question kind
are described in huitou.surveys.questionnaires and huitou.surveys.answers; a bad answer is a
422 whose detail names the question key as the field."""

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huitou.core.pagination import ApiPagination
from huitou.core.ratelimit import rate_limited
from huitou.core.schemas import Text

from ..answers import access_open_distribution, access_survey_invitation, do_response_submit
from ..questionnaires import (
    access_questionnaire,
    access_version,
    check_may_manage,
    do_questionnaire_archive,
    do_questionnaire_create,
    do_questionnaire_publish,
    do_questionnaire_update,
    questionnaire_list,
    version_body,
)

router = Router(tags=["surveys"])


class QuestionnaireOut(Schema):
    id: int
    code: str
    purpose: str
    title: str
    title_en: str
    instructions: str
    instructions_en: str
    respondent_profile: str
    coding: str
    anonymous: bool
    builtin: str = Field(description="the shipped template it came from, if any")
    archived: bool
    current_version: int | None = Field(None, description="the published version's number")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_current_version(obj) -> int | None:
        return obj.current_version.number if obj.current_version_id else None


class QuestionnaireIn(Schema):
    code: Text(32) | None = None
    purpose: str | None = None
    title: Text(200) | None = None
    title_en: Text(200) | None = None
    instructions: Text(5000) | None = None
    instructions_en: Text(5000) | None = None
    respondent_profile: Text(5000) | None = None
    coding: Text(5000) | None = None
    anonymous: bool | None = None
    body: dict[str, Any] | None = Field(
        None, description="sections and questions: published as a new version when given"
    )


class BodyIn(Schema):
    note: Text(200) = ""
    sections: list[dict[str, Any]] = Field(
        description="[{title, title_en, description, description_en, questions: [...]}]"
    )


class ArchiveIn(Schema):
    archived: bool = True


class VersionSummaryOut(Schema):
    id: int
    number: int
    published_at: datetime
    note: str
    responses: int = 0

    @staticmethod
    def resolve_responses(obj) -> int:
        return obj.responses.count()


class VersionOut(VersionSummaryOut):
    questionnaire: int = Field(alias="questionnaire_id")
    sections: list[dict[str, Any]]

    @staticmethod
    def resolve_sections(obj) -> list[dict]:
        return version_body(obj)["sections"]


class ListFilter(Schema):
    archived: bool = False


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(description="question key → answer, shaped per kind")


class ResponseOut(Schema):
    id: int
    version: int = Field(alias="version.number")
    answered_at: datetime
    rating: int | None
    nps: int | None


def _given(payload: Schema) -> dict:
    return payload.model_dump(exclude_unset=True)


@router.get("/questionnaires", response=list[QuestionnaireOut])
@paginate(ApiPagination)
def questionnaires(request, filters: Query[ListFilter]):
    """The questionnaires (archived ones with ?archived=true), newest first."""
    return questionnaire_list(user=request.user, archived=filters.archived)


@router.post("/questionnaires", response={201: QuestionnaireOut})
def questionnaire_create(request, payload: QuestionnaireIn):
    """A new questionnaire; with `body`, its questions are published as version 1."""
    return Status(201, do_questionnaire_create(actor=request.user, data=_given(payload)))


@router.get("/questionnaires/{questionnaire_id}", response=QuestionnaireOut)
def questionnaire_detail(request, questionnaire_id: int):
    return access_questionnaire(user=request.user, questionnaire_id=questionnaire_id)


@router.patch("/questionnaires/{questionnaire_id}", response=QuestionnaireOut)
def questionnaire_update(request, questionnaire_id: int, payload: QuestionnaireIn):
    """Change the header at once; with `body`, publish the questions as a new version."""
    return do_questionnaire_update(
        actor=request.user, questionnaire_id=questionnaire_id, data=_given(payload)
    )


@router.post("/questionnaires/{questionnaire_id}/publish", response={201: VersionOut})
def questionnaire_publish(request, questionnaire_id: int, payload: BodyIn):
    """Publish the questions as the next version; earlier answers keep theirs."""
    version = do_questionnaire_publish(
        actor=request.user, questionnaire_id=questionnaire_id, body=payload.model_dump()
    )
    return Status(201, version)


@router.post("/questionnaires/{questionnaire_id}/archive", response=QuestionnaireOut)
def questionnaire_archive(request, questionnaire_id: int, payload: ArchiveIn):
    """Archive (archived true) or bring back (false)."""
    return do_questionnaire_archive(
        actor=request.user, questionnaire_id=questionnaire_id, archived=payload.archived
    )


@router.get("/questionnaires/{questionnaire_id}/versions", response=list[VersionSummaryOut])
def questionnaire_versions(request, questionnaire_id: int):
    questionnaire = access_questionnaire(user=request.user, questionnaire_id=questionnaire_id)
    return list(questionnaire.versions.order_by("-number"))


@router.get("/questionnaires/{questionnaire_id}/versions/{number}", response=VersionOut)
def questionnaire_version(request, questionnaire_id: int, number: int):
    """One version's sections and questions, as they were published."""
    check_may_manage(request.user)
    return access_version(user=request.user, questionnaire_id=questionnaire_id, number=number)


@router.post("/answers/{token}", response=ResponseOut, auth=None, url_name="survey_answers")
@rate_limited("survey_answer", api=True)
def survey_answers(request, token: str, payload: AnswersIn):
    """Answer a questionnaire invitation (no login: the link's token). Once per invitation:
    409 after; 410 for an expired link or a closed distribution; 422 naming the question key
    for a bad or missing answer."""
    invitation, version = access_survey_invitation(token)
    return do_response_submit(version=version, answers=payload.answers, invitation=invitation)


@router.post("/open/{token}", response=ResponseOut, auth=None, url_name="survey_open_answers")
@rate_limited("survey_answer", api=True)
def survey_open_answers(request, token: str, payload: AnswersIn):
    """Answer a distribution's public link (anyone; an open distribution before its close
    date and under its quota, else 410)."""
    distribution, version = access_open_distribution(token)
    return do_response_submit(version=version, answers=payload.answers, distribution=distribution)
