"""The demo's QA inspection (质检) and one quality-evaluation round: sampling plans drawn over
the last weeks into the inspector's queue, most of it scored (a few with a fatal item
failed), one appeal waiting for the supervisor, one decided, a calibration session, a
mystery-shopper task, and an evaluation round already analysed. Through the services;
seeded, so two loads score the same."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from huitou.accounts.models import User
from huitou.quality.defaults import ensure_quality_defaults
from huitou.quality.models import Inspection, InspectionItem, Scorecard
from huitou.quality.sampling import do_sampling_run
from huitou.quality.services import (
    do_appeal_decide,
    do_appeal_file,
    do_calibration_create,
    do_inspection_score,
    do_inspection_submit,
    do_mystery_create,
    do_plan_create,
)
from huitou.surveys.evaluation import (
    do_evaluation_advance,
    do_evaluation_analyse,
    do_evaluation_create,
    do_evaluation_update,
)
from huitou.surveys.models import Distribution
from huitou.tickets.models import Status, Ticket

COMMENTS = {
    "fail": [
        "未按规范问候客户。",
        "答复的保修政策有误，应为整机三年。",
        "结束时没有询问客户是否还有其他问题。",
    ],
    "partial": ["复述不完整，漏了上门时间。", "回复略慢，超过时限十几分钟。"],
}


def load_demo_quality(*, now: datetime) -> None:
    rng = random.Random(20261205)
    ensure_quality_defaults()
    supervisor = User.objects.get(username="supervisor")
    qa = User.objects.get(username="qa")
    do_plan_create(
        actor=supervisor, name="每位坐席每周抽检 10%", kind="agent_share", percent=10,
        inspectors=[qa],
    )  # fmt: skip
    do_plan_create(actor=supervisor, name="全部低分评价", kind="low_rating", inspectors=[qa])
    for weeks_ago in (3, 2, 1, 0):
        do_sampling_run(now=now - timedelta(weeks=weeks_ago))
    queue = list(
        Inspection.objects.filter(state=Inspection.State.QUEUED)
        .select_related("ticket")
        .order_by("pk")
    )
    scored = [
        inspection
        for inspection in queue
        if inspection.ticket.status in (Status.RESOLVED, Status.CLOSED)
    ]
    for inspection in scored[: max(3, len(scored) * 3 // 4)]:
        _score(inspection, qa, rng, now=now)
    _appeals(supervisor, now=now)
    _calibration(supervisor, qa, now=now)
    _mystery(supervisor, qa, now=now)
    _evaluation_round(supervisor, now=now)


def _score(inspection: Inspection, qa, rng: random.Random, *, now: datetime) -> None:
    items = {}
    for row in (
        InspectionItem.objects.filter(inspection=inspection)
        .select_related("item")
        .order_by("item__position", "pk")
    ):
        result = row.result or rng.choices(["pass", "partial", "fail"], weights=[80, 14, 6])[0]
        if row.item.critical and not row.result:
            result = "fail" if rng.random() < 0.05 else "pass"
        if result == "partial" and row.item.critical:
            result = "pass"
        entry = {"result": result}
        if result == "partial":
            entry["points"] = row.item.weight / 2
        if result in COMMENTS:
            entry["comment"] = rng.choice(COMMENTS[result])
        items[row.item.key] = entry
    do_inspection_score(actor=qa, inspection=inspection, items=items, comment="")
    do_inspection_submit(actor=qa, inspection=inspection)
    moment = min(inspection.created_at + timedelta(days=rng.randint(0, 3)), now)
    Inspection.objects.filter(pk=inspection.pk).update(submitted_at=moment)


def _appeals(supervisor, *, now: datetime) -> None:
    done = Inspection.objects.filter(state=Inspection.State.SUBMITTED).exclude(agent=None)
    # Only a person who may see their own results can appeal (a handler scored on a
    # dispatch cannot), so the demo picks agents' inspections.
    mine = [i for i in done.order_by("pk") if i.agent.has_perm("quality.view_own_quality")]
    fatal = [i for i in mine if i.critical_failed][:2]
    low = sorted((i for i in mine if not i.critical_failed), key=lambda i: (i.score, i.pk))[:2]
    for index, inspection in enumerate((fatal + low)[:2]):
        appeal = do_appeal_file(
            actor=inspection.agent,
            inspection=inspection,
            reason="当时系统里查到的就是这个政策，客户也确认了，请复核。",
        )
        if index == 1:
            do_appeal_decide(
                actor=supervisor, appeal=appeal, decision="upheld", note="已核对录音，维持原判。"
            )


def _calibration(supervisor, qa, *, now: datetime) -> None:
    ticket = (
        Ticket.objects.filter(status=Status.RESOLVED, channel="phone", assignee__isnull=False)
        .order_by("-resolved_at")
        .first()
    )
    card = Scorecard.objects.filter(builtin="phone").first()
    if ticket is None or card is None:
        return
    session = do_calibration_create(
        actor=supervisor, name="本月校准：电话礼仪", ticket=ticket, scorecard=card,
        inspectors=[qa, supervisor],
    )  # fmt: skip
    rng = random.Random(7)
    for inspection in Inspection.objects.filter(calibration=session).order_by("pk")[:1]:
        _score(inspection, inspection.inspector, rng, now=now)


def _mystery(supervisor, qa, *, now: datetime) -> None:
    do_mystery_create(
        actor=supervisor,
        title="神秘客：来电询问空调移机收费",
        script="以普通客户身份来电，询问空调移机是否收费、多久能上门；观察问候、复述、是否给出明确答复时间。",
        channel="phone",
        due_date=(timezone.localtime(now) + timedelta(days=5)).date(),
        inspector=qa,
    )


def _evaluation_round(supervisor, *, now: datetime) -> None:
    distribution = Distribution.objects.filter(questionnaire__builtin="evaluation").first()
    if distribution is None:
        return
    today = timezone.localtime(now).date()
    start = timezone.localtime(distribution.created_at).date() - timedelta(days=40)
    made = do_evaluation_create(
        actor=supervisor,
        data={
            "name": "2026 年度服务质量测评",
            "period_start": start.isoformat(),
            "period_end": today.isoformat(),
            "aims": "了解客户对热线和上门服务的及时性、流程、态度和技能的评价，找出改进重点。",
            "scope": "热线、在线客服与上门服务",
            "respondents": "测评期内接受过服务的客户，按价值等级分层抽样",
            "inputs": ["satisfaction", "complaints", "phone_tracking"],
        },
    )
    do_evaluation_advance(actor=supervisor, round_id=made.pk, now=now)
    do_evaluation_update(
        actor=supervisor,
        round_id=made.pk,
        data={"questionnaire": distribution.questionnaire_id, "distribution": distribution.pk},
    )
    for _stage in ("collect", "process", "analyse"):
        do_evaluation_advance(actor=supervisor, round_id=made.pk, now=now)
    do_evaluation_analyse(actor=supervisor, round_id=made.pk, now=now)
