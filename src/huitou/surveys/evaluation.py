"""The quality-evaluation loop of [000] (服务品质的评估流程): plan → questionnaire → collect →
process → analyse → report, one EvaluationRound over one period, by the indicators
timeliness (及时性), process (流程顺畅), attitude (服务态度) and skill (业务技能).

- plan: aims, scope, period, who is surveyed, which inputs [000] (satisfaction surveys,
  on-site observation, complaint responses, phone tracking, mystery shoppers, opinion
  surveys);
- questionnaire: one questionnaire whose questions carry Question.indicator (the builtin
  "evaluation" template does);
- collect: a Distribution of it; invited / answered / response rate;
- process: the period's answer sheets, incomplete and anonymous ones, straight-liners (the
  same point on every indicator question: excluded from the figures);
- analyse: per indicator the mean and top-two-box share of the performance questions, their
  importance, and the objective measures (evaluation_measures); stored on the round;
- report: findings and improvement actions; issuing it freezes the round.

Running a round takes surveys.manage_surveys; reading its report surveys.view_survey_analysis.
All figures are SQL aggregates. Periods are local dates, both ends inclusive."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Avg, Count, F, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_text
from huitou.core.permissions import check_permission

from .builtin import ensure_builtin_questionnaires
from .evaluation_measures import objective_measures
from .models import (
    TOP_TWO,
    Answer,
    Distribution,
    EvaluationRound,
    Indicator,
    InviteState,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
    Side,
)

BUILTIN = "evaluation"  # the shipped quality-evaluation questionnaire (builtin.py)
MANAGE = "surveys.manage_surveys"
READ = "surveys.view_survey_analysis"
Stage = EvaluationRound.Stage
Input = EvaluationRound.Input
STAGES = [stage.value for stage in Stage]
SURVEY_INPUTS = (Input.SATISFACTION, Input.OPINION)  # these need a questionnaire
SCORED_KINDS = (QuestionKind.SCALE, QuestionKind.MATRIX)
PERFORMANCE_SIDES = (Side.NONE, Side.PERCEPTION)
STRAIGHT_LINE_MIN = 3  # a sheet with at least this many indicator answers, all alike
TEXT_FIELDS = {"name": 200, "aims": 5000, "scope": 5000, "respondents": 5000, "plan": 5000}
REPORT_FIELDS = {"findings": 10000, "actions": 10000}
# What may be changed at which stage: the plan while planning, the questionnaire until
# collecting starts, the distribution while collecting, the conclusions once analysed.
EDITABLE = {
    Stage.PLAN: {*TEXT_FIELDS, "period_start", "period_end", "inputs", "questionnaire"},
    Stage.QUESTIONNAIRE: {"questionnaire", "distribution"},
    Stage.COLLECT: {"distribution"},
    Stage.PROCESS: set(),
    Stage.ANALYSE: set(REPORT_FIELDS),
    Stage.REPORT: set(REPORT_FIELDS),
}


class EvaluationNotFound(DomainError):
    status_code = 404


# --- reads -------------------------------------------------------------------------------------
def check_may_run(actor) -> None:
    check_permission(actor, MANAGE)


def check_may_read(actor) -> None:
    check_permission(actor, READ)


def evaluation_list(*, user) -> QuerySet[EvaluationRound]:
    check_may_read(user)
    return EvaluationRound.objects.select_related("questionnaire").order_by("-period_end", "-pk")


def access_evaluation(*, user, round_id: int, run: bool = False) -> EvaluationRound:
    """The round, for reading its report (or, with `run`, for running it)."""
    if run:
        check_may_run(user)
    else:
        check_may_read(user)
    found = (
        EvaluationRound.objects.select_related("questionnaire", "distribution", "created_by")
        .filter(pk=round_id)
        .first()
    )
    if found is None:
        raise EvaluationNotFound(_("测评不存在。"))
    return found


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def questionnaire_choices() -> QuerySet[Questionnaire]:
    """Published, not archived; the ones with indicator questions first."""
    return (
        Questionnaire.objects.filter(archived=False, current_version__isnull=False)
        .annotate(
            indicator_questions=Count(
                "current_version__questions",
                filter=~Q(current_version__questions__indicator=""),
            )
        )
        .order_by("-indicator_questions", "title", "pk")
    )


def distribution_choices(round_: EvaluationRound) -> QuerySet[Distribution]:
    if round_.questionnaire_id is None:
        return Distribution.objects.none()
    return Distribution.objects.filter(questionnaire_id=round_.questionnaire_id).order_by("-pk")


def collect_figures(round_: EvaluationRound) -> dict:
    """The linked distribution's invitations: made, sent, answered, response rate; and the
    answer sheets of the round so far (see `round_responses`)."""
    figures = {"invitations": 0, "invited": 0, "answered": 0, "rate": None}
    if round_.distribution_id is not None:
        row = round_.distribution.invitations.aggregate(
            invitations=Count("pk"),
            invited=Count("pk", filter=Q(sent_at__isnull=False) | Q(state=InviteState.ANSWERED)),
            answered=Count("pk", filter=Q(state=InviteState.ANSWERED)),
        )
        figures.update(row)
        figures["rate"] = round(row["answered"] / row["invited"], 4) if row["invited"] else None
    figures["responses"] = round_responses(round_).count()
    return figures


def round_responses(round_: EvaluationRound) -> QuerySet[Response]:
    """The answer sheets the round counts: its questionnaire's, answered in the period, and
    only the linked distribution's when one is linked."""
    if round_.questionnaire_id is None:
        return Response.objects.none()
    start, end = period_bounds(round_.period_start, round_.period_end)
    rows = Response.objects.filter(
        questionnaire_id=round_.questionnaire_id, answered_at__gte=start, answered_at__lt=end
    )
    if round_.distribution_id is not None:
        rows = rows.filter(distribution_id=round_.distribution_id)
    return rows


def _scored_answers(responses: QuerySet[Response]) -> QuerySet[Answer]:
    return Answer.objects.filter(
        response__in=responses,
        question__kind__in=SCORED_KINDS,
        number__isnull=False,
    ).exclude(question__indicator="")


def straight_liners(responses: QuerySet[Response]) -> QuerySet:
    """Response ids whose performance answers (at least STRAIGHT_LINE_MIN) are all one point."""
    return (
        _scored_answers(responses)
        .filter(question__side__in=PERFORMANCE_SIDES)
        .values("response")
        .annotate(n=Count("pk"), low=Min("number"), high=Max("number"))
        .filter(n__gte=STRAIGHT_LINE_MIN, low=F("high"))
        .values("response")
    )


def process_summary(round_: EvaluationRound) -> dict:
    """Data cleaning (数据处理): sheets in the period, incomplete (an indicator question left
    unanswered), anonymous (no customer), straight-liners; `analysed` is what remains."""
    responses = round_responses(round_)
    expected = (
        Question.objects.filter(
            version=OuterRef("version"), kind__in=SCORED_KINDS, side__in=PERFORMANCE_SIDES
        )
        .exclude(indicator="")
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    answered = Count(
        "answers__question",
        distinct=True,
        filter=Q(
            answers__question__kind__in=SCORED_KINDS,
            answers__question__side__in=PERFORMANCE_SIDES,
            answers__number__isnull=False,
        )
        & ~Q(answers__question__indicator=""),
    )
    sheets = responses.annotate(
        answered=answered, expected=Coalesce(Subquery(expected, output_field=IntegerField()), 0)
    )
    row = responses.aggregate(total=Count("pk"), anonymous=Count("pk", filter=Q(customer=None)))
    incomplete = sheets.filter(answered__lt=F("expected")).count()
    liners = responses.filter(pk__in=straight_liners(responses)).count()
    return {
        "responses": row["total"],
        "incomplete": incomplete,
        "anonymous": row["anonymous"],
        "straight_liners": liners,
        "analysed": row["total"] - liners,
    }


def _figure(row: dict) -> dict:
    n = row["n"]
    return {
        "mean": round(float(row["mean"]), 2) if row["mean"] is not None else None,
        "n": n,
        "top_two": round(row["top"] / n, 4) if n else None,
    }


def indicator_figures(responses: QuerySet[Response]) -> dict:
    """Per indicator, over the sheets kept after cleaning: mean, count and top-two-box share
    (4–5 on the 5-point scale, 5 = best) of the performance answers; mean importance; and
    the same per question (by its key, stable across versions)."""
    kept = responses.exclude(pk__in=straight_liners(responses))
    answers = _scored_answers(kept)
    aggregates = {
        "n": Count("pk"),
        "mean": Avg("number"),
        "top": Count("pk", filter=Q(number__in=TOP_TWO)),
    }
    performance = answers.filter(question__side__in=PERFORMANCE_SIDES)
    by_indicator = {
        row["question__indicator"]: _figure(row)
        for row in performance.values("question__indicator").annotate(**aggregates).order_by()
    }
    importance = {
        row["question__indicator"]: round(float(row["mean"]), 2)
        for row in answers.filter(question__side=Side.IMPORTANCE)
        .values("question__indicator")
        .annotate(mean=Avg("number"))
        .order_by()
    }
    indicators = []
    for indicator in Indicator:
        figure = by_indicator.get(indicator.value, {"mean": None, "n": 0, "top_two": None})
        indicators.append(
            {"indicator": indicator.value, **figure, "importance": importance.get(indicator.value)}
        )
    questions = [
        {
            "key": row["question__key"],
            "text": row["text"],
            "indicator": row["question__indicator"],
            **_figure(row),
        }
        for row in performance.values("question__key", "question__indicator")
        .annotate(text=Max("question__text"), **aggregates)
        .order_by("question__indicator", "question__key")
    ]
    overall = kept.filter(rating__isnull=False).aggregate(
        n=Count("pk"), mean=Avg("rating"), top=Count("pk", filter=Q(rating__in=TOP_TWO))
    )
    return {"indicators": indicators, "questions": questions, "overall": _figure(overall)}


def compute_results(*, round_: EvaluationRound, now: datetime | None = None) -> dict:
    """Everything the report shows, computed now (no permission check: callers check)."""
    now = now or timezone.now()
    start, end = period_bounds(round_.period_start, round_.period_end)
    responses = round_responses(round_)
    # Measure labels are stored as their Chinese msgid; the report translates them on reading.
    with translation.override("zh-hans"):
        measures = objective_measures(inputs=list(round_.inputs), start=start, end=end, now=now)
    return {
        "computed_at": now.isoformat(),
        "collect": collect_figures(round_),
        "process": process_summary(round_),
        **indicator_figures(responses),
        "measures": measures,
    }


# --- checks ------------------------------------------------------------------------------------
def _parse_date(value, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(_("日期格式应为 YYYY-MM-DD。"), field=field) from None


def check_period(start: date, end: date) -> None:
    if end < start:
        raise DomainError(_("测评期结束不能早于开始。"), field="period_end")
    if (end - start).days > 366:
        raise DomainError(_("测评期不能超过一年。"), field="period_end")


def check_inputs(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DomainError(_("信息来源须为列表。"), field="inputs")
    unknown = [item for item in value if item not in Input.values]
    if unknown:
        raise DomainError(
            _("未知的信息来源：%(items)s。") % {"items": ", ".join(unknown)}, field="inputs"
        )
    return [item for item in Input.values if item in value]  # the seeds' order, once each


def check_plan_complete(round_: EvaluationRound) -> None:
    """A plan says why, what, who and from which sources before the questionnaire."""
    for field, label in (("aims", _("测评目的")), ("scope", _("测评范围")),
                         ("respondents", _("调查对象"))):  # fmt: skip
        if not getattr(round_, field).strip():
            raise DomainError(_("请填写%(label)s。") % {"label": label}, field=field)
    if not round_.inputs:
        raise DomainError(_("请至少选择一个信息来源。"), field="inputs")
    check_period(round_.period_start, round_.period_end)


def check_may_enter(round_: EvaluationRound, stage: str, *, now: datetime) -> None:
    """What entering `stage` needs from the stages before it."""
    if stage == Stage.QUESTIONNAIRE:
        check_plan_complete(round_)
    elif stage == Stage.COLLECT:
        needs = any(item in round_.inputs for item in SURVEY_INPUTS)
        if needs and round_.questionnaire_id is None:
            raise DomainError(_("满意度或意见调查需要先选定问卷。"), field="questionnaire")
    elif stage == Stage.PROCESS:
        if timezone.localdate(now) < round_.period_start:
            raise ConflictError(_("测评期尚未开始，还没有可整理的数据。"), field="stage")
    elif stage == Stage.REPORT and round_.analysed_at is None:
        raise ConflictError(_("请先完成分析，再撰写报告。"), field="stage")


def _clean_changes(round_: EvaluationRound, data: dict) -> dict:
    allowed = EDITABLE[round_.stage] if round_.reported_at is None else set()
    changes = {}
    for field, value in data.items():
        if field not in {*TEXT_FIELDS, *REPORT_FIELDS, "period_start", "period_end", "inputs",
                         "questionnaire", "distribution"}:  # fmt: skip
            raise DomainError(_("未知字段。"), field=field)
        if field not in allowed:
            raise ConflictError(_("当前阶段不能修改这一项。"), field=field)
        if field in TEXT_FIELDS or field in REPORT_FIELDS:
            limit = TEXT_FIELDS.get(field) or REPORT_FIELDS[field]
            value = check_text(str(value or "").strip(), field=field, max_length=limit)
            if field == "name" and not value:
                raise DomainError(_("请填写名称。"), field="name")
        elif field in ("period_start", "period_end"):
            value = _parse_date(value, field)
        elif field == "inputs":
            value = check_inputs(value)
        elif field == "questionnaire":
            value = _questionnaire(value)
        elif field == "distribution":
            value = _distribution(value, round_, data)
        changes[field] = value
    return changes


def _questionnaire(value) -> Questionnaire | None:
    if value in (None, ""):
        return None
    if value == BUILTIN:
        made = {row.builtin: row for row in ensure_builtin_questionnaires()}
        value = made[BUILTIN].pk
    found = questionnaire_choices().filter(pk=_int(value, "questionnaire")).first()
    if found is None:
        raise DomainError(_("问卷不存在或尚未发布。"), field="questionnaire")
    return found


def _distribution(value, round_: EvaluationRound, data: dict) -> Distribution | None:
    if value in (None, ""):
        return None
    found = Distribution.objects.filter(pk=_int(value, "distribution")).first()
    questionnaire_id = round_.questionnaire_id
    if "questionnaire" in data:
        chosen = _questionnaire(data["questionnaire"])
        questionnaire_id = chosen.pk if chosen else None
    if found is None or found.questionnaire_id != questionnaire_id:
        raise DomainError(_("请选择本次测评问卷的发放。"), field="distribution")
    return found


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(_("请填写编号。"), field=field) from None


# --- writes ------------------------------------------------------------------------------------
def do_evaluation_create(*, actor, data: dict) -> EvaluationRound:
    """A new round in the plan stage; needs a name and a period."""
    check_may_run(actor)
    missing = [field for field in ("name", "period_start", "period_end") if not data.get(field)]
    if missing:
        raise DomainError(_("必填。"), field=missing[0])
    round_ = EvaluationRound(stage=Stage.PLAN, period_start=date.min, period_end=date.min)
    changes = _clean_changes(round_, data)
    for field, value in changes.items():
        setattr(round_, field, value)
    check_period(round_.period_start, round_.period_end)
    with transaction.atomic():
        round_.created_by = actor
        round_.save()
        do_audit_record(obj=round_, actor=actor, action="evaluation.create", new=round_.name)
    return round_


def do_evaluation_update(*, actor, round_id: int, data: dict) -> EvaluationRound:
    """Change what the current stage may change (EDITABLE); an issued report is frozen."""
    check_may_run(actor)
    with transaction.atomic():
        round_ = _locked(round_id)
        changes = _clean_changes(round_, data)
        swapped = "questionnaire" in changes and changes["questionnaire"] != round_.questionnaire
        if swapped and "distribution" not in changes:
            changes["distribution"] = None  # a distribution belongs to its questionnaire
        for field, value in changes.items():
            setattr(round_, field, value)
        check_period(round_.period_start, round_.period_end)
        round_.save()
        if changes:
            do_audit_record(
                obj=round_, actor=actor, action="evaluation.update", new=", ".join(sorted(changes))
            )
    return round_


def do_evaluation_advance(
    *, actor, round_id: int, to: str | None = None, now: datetime | None = None
) -> EvaluationRound:
    """Move to the next stage (`to` empty or the next one) after its checks, or back to an
    earlier stage to redo it (going back before the analysis drops its figures). No skipping
    ahead; an issued report no longer moves."""
    check_may_run(actor)
    now = now or timezone.now()
    with transaction.atomic():
        round_ = _locked(round_id)
        if round_.reported_at is not None:
            raise ConflictError(_("报告已发布，测评已结束。"), field="stage")
        here = STAGES.index(round_.stage)
        if to in (None, ""):
            if here == len(STAGES) - 1:
                raise ConflictError(_("已经是最后一个阶段。"), field="stage")
            to = STAGES[here + 1]
        if to not in STAGES:
            raise DomainError(_("未知的阶段。"), field="stage")
        there = STAGES.index(to)
        if there > here + 1:
            raise ConflictError(
                _("请按顺序完成各阶段，下一阶段是“%(next)s”。")
                % {"next": Stage(STAGES[here + 1]).label},
                field="stage",
            )
        if there == here:
            return round_
        if there == here + 1:
            check_may_enter(round_, to, now=now)
        elif there < STAGES.index(Stage.REPORT) and round_.analysed_at is not None:
            round_.analysed_at, round_.results = None, {}
        old = round_.stage
        round_.stage = to
        round_.save(update_fields=["stage", "analysed_at", "results"])
        do_audit_record(obj=round_, actor=actor, action="evaluation.stage", old=old, new=to)
    return round_


def do_evaluation_analyse(*, actor, round_id: int, now: datetime | None = None) -> EvaluationRound:
    """Compute the figures (SQL aggregates) and keep them on the round: the report shows
    these. Again at the analyse or report stage recomputes them, until the report is issued."""
    check_may_run(actor)
    now = now or timezone.now()
    with transaction.atomic():
        round_ = _locked(round_id)
        if round_.stage not in (Stage.ANALYSE, Stage.REPORT) or round_.reported_at is not None:
            raise ConflictError(_("只能在分析阶段计算结果。"), field="stage")
        round_.results = compute_results(round_=round_, now=now)
        round_.analysed_at = now
        round_.save(update_fields=["results", "analysed_at"])
        do_audit_record(obj=round_, actor=actor, action="evaluation.analyse")
    return round_


def do_evaluation_issue(*, actor, round_id: int, now: datetime | None = None) -> EvaluationRound:
    """Issue the report (汇报结果): it needs findings and improvement actions; then it is
    frozen."""
    check_may_run(actor)
    with transaction.atomic():
        round_ = _locked(round_id)
        if round_.stage != Stage.REPORT or round_.analysed_at is None:
            raise ConflictError(_("请先完成分析，再撰写报告。"), field="stage")
        if round_.reported_at is not None:
            raise ConflictError(_("报告已发布，测评已结束。"), field="stage")
        for field in REPORT_FIELDS:
            if not getattr(round_, field).strip():
                raise DomainError(_("发布报告前请填写结论和改进措施。"), field=field)
        round_.reported_at = now or timezone.now()
        round_.save(update_fields=["reported_at"])
        do_audit_record(obj=round_, actor=actor, action="evaluation.issue")
    return round_


def _locked(round_id: int) -> EvaluationRound:
    found = EvaluationRound.objects.select_for_update().filter(pk=round_id).first()
    if found is None:
        raise EvaluationNotFound(_("测评不存在。"))
    return found
