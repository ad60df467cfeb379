"""Writes of QA inspection: inspections and their scores, appeals, calibration, mystery
shoppers, scorecards and sampling plans. Each do_* runs in one transaction."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_changes, do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_text
from huitou.core.permissions import check_permission
from huitou.tickets.models import Channel, Ticket

from .checks import run_checks
from .defaults import quality_settings
from .models import (
    Appeal,
    CalibrationSession,
    Check,
    Inspection,
    InspectionItem,
    MysteryTask,
    Result,
    SamplingPlan,
    Scorecard,
    ScorecardItem,
)

INSPECT = "quality.inspect_conversations"
MANAGE = "quality.manage_scorecards"
DECIDE = "quality.decide_appeals"
COUNTED = (Inspection.State.SUBMITTED, Inspection.State.APPEALED, Inspection.State.FINAL)
TENTH = Decimal("0.1")


# --- the score ---------------------------------------------------------------------------------


def item_points(item: ScorecardItem, result: str, points=None) -> Decimal | None:
    """Points for one item: its weight when met, 0 when not, None when not applicable; a
    partly met (non-critical) item gets the points the inspector gives, 0 < points < weight."""
    if result == Result.PASS:
        return Decimal(item.weight)
    if result == Result.FAIL:
        return Decimal(0)
    if result == Result.NA or not result:
        return None
    if item.critical:
        raise DomainError(_("致命项只能判为达标或不达标。"), field=item.key)
    try:
        value = Decimal(str(points))
    except (InvalidOperation, ValueError):
        raise DomainError(_("请填写该项得分。"), field=item.key) from None
    if not 0 < value < item.weight:
        raise DomainError(
            _("部分达标的得分必须大于 0 且小于 %(max)d。") % {"max": item.weight}, field=item.key
        )
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def compute_score(rows: list[tuple[ScorecardItem, str, Decimal | None]]) -> tuple[Decimal, bool]:
    """(score out of 100, critical failed): the points earned over the weights of the items
    that apply; any critical item not met zeroes the score."""
    critical_failed = any(item.critical and result == Result.FAIL for item, result, _p in rows)
    applicable = [(item, points) for item, result, points in rows if result != Result.NA]
    weights = sum(item.weight for item, _p in applicable)
    if critical_failed:
        return Decimal("0.0"), True
    if not weights:
        return Decimal("100.0"), False
    earned = sum((points or Decimal(0)) for _item, points in applicable)
    return (Decimal(earned) * 100 / weights).quantize(TENTH, rounding=ROUND_HALF_UP), False


def _rescore(inspection: Inspection) -> None:
    rows = [
        (row.item, row.result, row.points)
        for row in inspection.items.select_related("item")
        if row.result
    ]
    inspection.score, inspection.critical_failed = compute_score(rows) if rows else (None, False)


# --- inspections -------------------------------------------------------------------------------


def scorecard_for(ticket: Ticket) -> Scorecard | None:
    """The active scorecard for the ticket's channel: one made for that channel first, else
    one for every channel."""
    cards = [
        card for card in Scorecard.objects.filter(active=True) if card.applies_to(ticket.channel)
    ]
    cards.sort(key=lambda card: (not card.channels, card.pk))
    return cards[0] if cards else None


def _check_inspector(user, field: str = "inspector") -> None:
    if not (user and user.is_active and user.has_perm(INSPECT)):
        raise DomainError(_("该用户不是质检员。"), field=field)


@transaction.atomic
def do_inspection_create(
    *,
    ticket: Ticket,
    scorecard: Scorecard,
    inspector,
    source: str,
    plan: SamplingPlan | None = None,
    week: date | None = None,
    calibration: CalibrationSession | None = None,
    mystery: MysteryTask | None = None,
) -> Inspection:
    """A queued inspection with the automatic checks' results and reasons pre-filled."""
    _check_inspector(inspector)
    if not scorecard.active:
        raise DomainError(_("该评分表已停用。"), field="scorecard")
    inspection = Inspection.objects.create(
        ticket=ticket,
        scorecard=scorecard,
        inspector=inspector,
        agent_id=ticket.assignee_id,
        department_id=ticket.department_id,
        source=source,
        plan=plan,
        week=week,
        calibration=calibration,
        mystery=mystery,
    )
    items = list(scorecard.items.all())
    outcomes = run_checks(
        ticket, {item.auto_check for item in items if item.auto_check}, quality_settings()
    )
    rows = []
    for item in items:
        outcome = outcomes.get(item.auto_check)
        result = outcome.result if outcome else ""
        rows.append(
            InspectionItem(
                inspection=inspection,
                item=item,
                result=result,
                points=item_points(item, result) if result else None,
                auto_result=result,
                auto_reason=outcome.reason if outcome else "",
            )
        )
    InspectionItem.objects.bulk_create(rows)
    _rescore(inspection)
    inspection.save(update_fields=["score", "critical_failed"])
    return inspection


@transaction.atomic
def do_inspection_manual(
    *, actor, ticket: Ticket, scorecard: Scorecard | None = None
) -> Inspection:
    """An inspector picks a conversation for their own queue."""
    check_permission(actor, INSPECT)
    scorecard = scorecard or scorecard_for(ticket)
    if scorecard is None:
        raise DomainError(_("没有适用于该渠道的评分表。"), field="scorecard")
    if not scorecard.applies_to(ticket.channel):
        raise DomainError(_("该评分表不适用于此渠道。"), field="scorecard")
    return do_inspection_create(
        ticket=ticket, scorecard=scorecard, inspector=actor, source=Inspection.Source.MANUAL
    )


def may_score(user, inspection: Inspection) -> bool:
    """The inspection's inspector; a QA lead (manage_scorecards) may step in, except in a
    calibration, where each score must stay one inspector's own."""
    if not user.has_perm(INSPECT):
        return False
    if inspection.inspector_id == user.pk:
        return True
    return inspection.calibration_id is None and user.has_perm(MANAGE)


def _locked(inspection: Inspection, actor) -> Inspection:
    if not may_score(actor, inspection):
        raise PermissionDenied(_("只有该质检的质检员可以评分。"))
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.state != Inspection.State.QUEUED:
        raise ConflictError(_("该质检已提交，不能再修改评分。"), field="state")
    return inspection


@transaction.atomic
def do_inspection_score(
    *, actor, inspection: Inspection, items: dict[str, dict], comment: str | None = None
) -> Inspection:
    """Save the inspector's results: {item key: {result, points, comment}} (items left out
    keep what they had)."""
    inspection = _locked(inspection, actor)
    rows = {row.item.key: row for row in inspection.items.select_related("item")}
    unknown = sorted(set(items) - set(rows))
    if unknown:
        raise DomainError(_("评分表中没有这个评分项。"), field=unknown[0])
    for key, entry in items.items():
        row = rows[key]
        result = entry.get("result") or ""
        if result and result not in Result.values:
            raise DomainError(_("结果必须是达标、部分达标、不达标或不适用。"), field=key)
        row.result = result
        row.points = item_points(row.item, result, entry.get("points")) if result else None
        row.comment = check_text((entry.get("comment") or "").strip(), field=key, max_length=2000)
        row.save(update_fields=["result", "points", "comment"])
    if comment is not None:
        inspection.comment = check_text(comment.strip(), field="comment", max_length=5000)
    _rescore(inspection)
    inspection.save(update_fields=["score", "critical_failed", "comment"])
    return inspection


@transaction.atomic
def do_inspection_submit(*, actor, inspection: Inspection) -> Inspection:
    """Finish the inspection: every item judged; the agent then sees the result."""
    inspection = _locked(inspection, actor)
    open_items = [row.item.key for row in inspection.items.select_related("item") if not row.result]
    if open_items:
        raise DomainError(_("请为每一项评分后再提交。"), field=open_items[0])
    _rescore(inspection)
    inspection.state = Inspection.State.SUBMITTED
    inspection.submitted_at = timezone.now()
    inspection.save(update_fields=["score", "critical_failed", "state", "submitted_at"])
    if inspection.mystery_id:
        MysteryTask.objects.filter(pk=inspection.mystery_id).update(state=MysteryTask.State.SCORED)
    do_audit_record(
        obj=inspection, actor=actor, action="scored", field="score", new=inspection.score
    )
    return inspection


# --- appeals -----------------------------------------------------------------------------------


@transaction.atomic
def do_appeal_file(*, actor, inspection: Inspection, reason: str) -> Appeal:
    """The agent appeals their result once, with a reason."""
    check_permission(actor, "quality.view_own_quality")
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.agent_id != actor.pk or inspection.calibration_id:
        raise PermissionDenied(_("只能对本人的质检结果申诉。"))
    if Appeal.objects.filter(inspection=inspection).exists():
        raise ConflictError(_("每条质检结果只能申诉一次。"), field="inspection")
    if inspection.state != Inspection.State.SUBMITTED:
        raise ConflictError(_("该质检尚未提交，不能申诉。"), field="inspection")
    reason = check_text((reason or "").strip(), field="reason", max_length=5000)
    if not reason:
        raise DomainError(_("请填写申诉理由。"), field="reason")
    appeal = Appeal.objects.create(
        inspection=inspection, agent=actor, reason=reason, old_score=inspection.score
    )
    inspection.state = Inspection.State.APPEALED
    inspection.save(update_fields=["state"])
    do_audit_changes(
        obj=inspection, actor=actor, changes=[("state", Inspection.State.SUBMITTED, "appealed")]
    )
    return appeal


@transaction.atomic
def do_appeal_decide(
    *, actor, appeal: Appeal, decision: str, new_score=None, note: str = ""
) -> Appeal:
    """A supervisor upholds the result or overturns it with a new score."""
    check_permission(actor, DECIDE)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.state != Appeal.State.OPEN:
        raise ConflictError(_("该申诉已裁决。"), field="appeal")
    if appeal.agent_id == actor.pk:
        raise PermissionDenied(_("不能裁决本人的申诉。"))
    if decision not in (Appeal.State.UPHELD, Appeal.State.OVERTURNED):
        raise DomainError(_("裁决必须是维持原判或改判。"), field="decision")
    note = check_text((note or "").strip(), field="note", max_length=5000)
    inspection = Inspection.objects.select_for_update().get(pk=appeal.inspection_id)
    old_score = inspection.score
    changes = [("state", inspection.state, Inspection.State.FINAL)]
    if decision == Appeal.State.OVERTURNED:
        try:
            score = Decimal(str(new_score)).quantize(TENTH, rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            raise DomainError(_("改判时请填写新的得分（0–100）。"), field="new_score") from None
        if not 0 <= score <= 100:
            raise DomainError(_("改判时请填写新的得分（0–100）。"), field="new_score")
        if not note:
            raise DomainError(_("改判时请说明理由。"), field="note")
        inspection.score = score
        inspection.critical_failed = inspection.critical_failed and score == 0
        appeal.new_score = score
        changes.append(("score", old_score, score))
    appeal.state = decision
    appeal.decision_note = note
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.save()
    inspection.state = Inspection.State.FINAL
    inspection.save(update_fields=["score", "critical_failed", "state"])
    changes.append(("appeal", Appeal.State.OPEN, decision))
    do_audit_changes(obj=inspection, actor=actor, changes=changes)
    return appeal


# --- calibration and mystery shoppers ----------------------------------------------------------


@transaction.atomic
def do_calibration_create(
    *, actor, name: str, ticket: Ticket, scorecard: Scorecard, inspectors: list
) -> CalibrationSession:
    check_permission(actor, INSPECT)
    name = check_text((name or "").strip(), field="name", max_length=100)
    if not name:
        raise DomainError(_("请填写名称。"), field="name")
    unique = {user.pk: user for user in inspectors}
    if len(unique) < 2:
        raise DomainError(_("校准至少需要两名质检员。"), field="inspectors")
    for user in unique.values():
        _check_inspector(user, field="inspectors")
    if not scorecard.applies_to(ticket.channel):
        raise DomainError(_("该评分表不适用于此渠道。"), field="scorecard")
    session = CalibrationSession.objects.create(
        name=name, ticket=ticket, scorecard=scorecard, created_by=actor
    )
    for user in unique.values():
        do_inspection_create(
            ticket=ticket,
            scorecard=scorecard,
            inspector=user,
            source=Inspection.Source.CALIBRATION,
            calibration=session,
        )
    return session


@transaction.atomic
def do_mystery_create(
    *,
    actor,
    title: str,
    script: str,
    channel: str,
    due_date: date,
    inspector,
    scorecard: Scorecard | None = None,
) -> MysteryTask:
    check_permission(actor, MANAGE)
    title = check_text((title or "").strip(), field="title", max_length=200)
    script = check_text((script or "").strip(), field="script", max_length=5000)
    if not title:
        raise DomainError(_("请填写标题。"), field="title")
    if not script:
        raise DomainError(_("请填写情景脚本。"), field="script")
    if channel not in Channel.values:
        raise DomainError(_("渠道无效。"), field="channel")
    _check_inspector(inspector)
    if scorecard is not None and not scorecard.applies_to(channel):
        raise DomainError(_("该评分表不适用于此渠道。"), field="scorecard")
    return MysteryTask.objects.create(
        title=title,
        script=script,
        channel=channel,
        due_date=due_date,
        inspector=inspector,
        scorecard=scorecard,
        created_by=actor,
    )


@transaction.atomic
def do_mystery_link(*, actor, task: MysteryTask, ticket: Ticket) -> Inspection:
    """Link the ticket the test contact made; its inspection joins the inspector's queue."""
    check_permission(actor, INSPECT)
    if task.inspector_id != actor.pk and not actor.has_perm(MANAGE):
        raise PermissionDenied(_("只有该任务的质检员可以关联工单。"))
    task = MysteryTask.objects.select_for_update().get(pk=task.pk)
    if task.state != MysteryTask.State.ASSIGNED:
        raise ConflictError(_("该任务已关联工单。"), field="ticket")
    if ticket.channel != task.channel:
        raise DomainError(_("工单渠道与任务渠道不一致。"), field="ticket")
    scorecard = task.scorecard or scorecard_for(ticket)
    if scorecard is None:
        raise DomainError(_("没有适用于该渠道的评分表。"), field="scorecard")
    task.ticket = ticket
    task.state = MysteryTask.State.LINKED
    task.save(update_fields=["ticket", "state"])
    return do_inspection_create(
        ticket=ticket,
        scorecard=scorecard,
        inspector=task.inspector,
        source=Inspection.Source.MYSTERY,
        mystery=task,
    )


# --- scorecards and plans ----------------------------------------------------------------------


def _check_channels(channels) -> list[str]:
    channels = list(channels or [])
    for value in channels:
        if value not in Channel.values:
            raise DomainError(_("渠道无效。"), field="channels")
    return channels


@transaction.atomic
def do_scorecard_create(
    *, actor, name: str, items: list[dict], description: str = "", channels=()
) -> Scorecard:
    """items: [{key, label, weight, critical, check, description}]."""
    check_permission(actor, MANAGE)
    name = check_text((name or "").strip(), field="name", max_length=100)
    if not name:
        raise DomainError(_("请填写名称。"), field="name")
    if Scorecard.objects.filter(name=name).exists():
        raise DomainError(_("已有同名评分表。"), field="name")
    if not items:
        raise DomainError(_("评分表至少要有一项。"), field="items")
    keys = [entry.get("key") for entry in items]
    if len(set(keys)) != len(keys):
        raise DomainError(_("评分项编号不能重复。"), field="items")
    card = Scorecard.objects.create(
        name=name,
        description=check_text(description or "", field="description", max_length=2000),
        channels=_check_channels(channels),
    )
    for position, entry in enumerate(items):
        if entry.get("check", "") not in Check.values:
            raise DomainError(_("没有这种自动检查。"), field="items")
        ScorecardItem.objects.create(
            scorecard=card,
            key=entry["key"],
            label=entry["label"],
            weight=entry["weight"],
            critical=bool(entry.get("critical")),
            auto_check=entry.get("check", ""),
            description=entry.get("description", ""),
            position=position,
        )
    return card


@transaction.atomic
def do_plan_create(
    *,
    actor,
    name: str,
    kind: str,
    inspectors: list,
    percent: int = 5,
    channels=(),
    scorecard: Scorecard | None = None,
) -> SamplingPlan:
    check_permission(actor, MANAGE)
    name = check_text((name or "").strip(), field="name", max_length=100)
    if not name:
        raise DomainError(_("请填写名称。"), field="name")
    if SamplingPlan.objects.filter(name=name).exists():
        raise DomainError(_("已有同名抽样计划。"), field="name")
    if kind not in SamplingPlan.Kind.values:
        raise DomainError(_("抽样方式无效。"), field="kind")
    if not 1 <= percent <= 100:
        raise DomainError(_("抽检比例必须在 1 到 100 之间。"), field="percent")
    if not inspectors:
        raise DomainError(_("请至少选择一名质检员。"), field="inspectors")
    for user in inspectors:
        _check_inspector(user, field="inspectors")
    plan = SamplingPlan.objects.create(
        name=name,
        kind=kind,
        percent=percent,
        channels=_check_channels(channels),
        scorecard=scorecard,
    )
    plan.inspectors.set(inspectors)
    return plan


def inspectors() -> list:
    """Active users who may inspect (for the pages' pickers)."""
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return [user for user in users if user.has_perm(INSPECT)]


def users_by_ids(ids: list[int], *, field: str) -> list:
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(set(ids)):
        raise DomainError(_("用户不存在。"), field=field)
    return users
