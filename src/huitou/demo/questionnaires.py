"""The demo's questionnaires: the shipped templates, sent through the distribution services
to samples of the archive weeks ago, and answered by about half the invitees with answers a
real customer base gives — high expectations, perceptions a little lower where the desk is
weak (responsiveness, reliability), promoters outnumbering detractors — plus anonymous
comment cards from the open link. Every chart on the analysis page has something to show.
Seeded, so two loads give the same answers."""

import random
from datetime import datetime, timedelta

from huitou.accounts.models import User
from huitou.surveys.answers import check_answers, do_response_submit, shown
from huitou.surveys.builtin import ensure_builtin_questionnaires
from huitou.surveys.distribution import do_distribution_create, do_distribution_open
from huitou.surveys.models import (
    Dimension,
    Distribution,
    Invitation,
    InviteState,
    Question,
    QuestionKind,
    Response,
)

# How far perception falls short of expectation, per SERVQUAL dimension (mean points).
GAPS = {
    Dimension.TANGIBLES: 0.2,
    Dimension.RELIABILITY: 0.7,
    Dimension.RESPONSIVENESS: 1.0,
    Dimension.ASSURANCE: 0.4,
    Dimension.EMPATHY: 0.5,
}
IMPORTANCE = {
    Dimension.TANGIBLES: 3.2,
    Dimension.RELIABILITY: 4.7,
    Dimension.RESPONSIVENESS: 4.4,
    Dimension.ASSURANCE: 4.1,
    Dimension.EMPATHY: 3.8,
}
TEXTS = [
    "希望电话能更快接通，等了很久。",
    "师傅上门很专业，讲解清楚。",
    "预约上门时间经常变，希望准时。",
    "客服态度很好，很有耐心。",
    "配件等了一周才到，太慢了。",
    "希望能在微信上直接查维修进度。",
    "安装师傅很细心，还帮忙清理了现场。",
    "转了好几次电话才找到负责的人。",
    "售后政策说明得不够清楚。",
    "整体满意，会推荐给朋友。",
]


def _clip(value: float) -> int:
    return max(1, min(5, round(value)))


class _Answerer:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def value(self, question: Question, mood: float, given: dict):
        rng, kind = self.rng, question.kind
        options = [item["value"] for item in question.options or []]
        items = [item["value"] for item in question.items or []]
        if kind == QuestionKind.SCALE:
            if question.side == "expectation":
                return _clip(rng.gauss(4.6, 0.5))
            if question.side == "importance":
                return _clip(rng.gauss(IMPORTANCE.get(question.dimension, 4.0), 0.7))
            if question.side == "perception":
                expected = given.get(f"E{question.pair}", 5)
                return _clip(expected - rng.gauss(GAPS.get(question.dimension, 0.5), 0.8))
            return _clip(rng.gauss(mood, 0.9))
        if kind == QuestionKind.NPS:
            return max(0, min(10, round(rng.gauss(mood * 2 - 0.3, 1.8))))
        if kind == QuestionKind.YES_NO:
            return rng.random() < 0.7
        if kind == QuestionKind.SINGLE:
            return rng.choice(options)
        if kind == QuestionKind.MULTIPLE:
            low = question.min_choices or 1
            high = min(question.max_choices or len(options), len(options))
            return rng.sample(options, rng.randint(low, max(low, high)))
        if kind == QuestionKind.RANKING:
            count = min(question.max_choices or len(items), len(items))
            return rng.sample(items, count)
        if kind == QuestionKind.MATRIX:
            return {row: _clip(rng.gauss(mood, 0.8)) for row in items}
        if kind == QuestionKind.COMPARISON:
            return {pair: rng.choice(["a", "b"]) for pair in items}
        if kind == QuestionKind.RECALL:
            return rng.sample(["海尔", "美的", "格力", "小米", "西门子"], 2)
        if kind in (QuestionKind.TEXT, QuestionKind.FILL_IN):
            return rng.choice(TEXTS) if question.required or rng.random() < 0.5 else ""
        return None

    def sheet(self, version, mood: float) -> dict:
        given: dict = {}
        for question in version.questions.order_by("section__position", "position"):
            if not shown(question, given):
                continue
            value = self.value(question, mood, given)
            if value in (None, "", []) and not question.required:
                continue
            given[question.key] = value
        check_answers(version=version, answers=given)  # the demo's answers are valid ones
        return given


def load_demo_questionnaires(*, now: datetime) -> int:
    """Distributions weeks ago and their answers; returns the answer sheets made."""
    rng = random.Random(20261204)
    answerer = _Answerer(rng)
    supervisor = User.objects.get(username="supervisor")
    made = {row.builtin: row for row in ensure_builtin_questionnaires()}
    rounds = [
        ("servqual", "", "2026 年第四季度服务质量调查（SERVQUAL）", 45, 0.55),
        ("evaluation", "", "2026 年度服务质量测评", 35, 0.5),
        ("post_service", "lost", "流失客户回访问卷", 20, 0.35),
    ]
    count = 0
    for builtin, preset, name, days_ago, share in rounds:
        questionnaire = made[builtin]
        opened = now - timedelta(days=days_ago)
        data = {
            "questionnaire": questionnaire.pk,
            "name": name,
            "channels": ["email", "sms"],
            "closes_at": (opened + timedelta(days=30)).isoformat(),
            "remind_after_days": 3,
        }
        if not preset:
            data.update(audience="segment", segment={"tier": ["A", "B", "C"]}, sample_percent=60)
        distribution = do_distribution_create(actor=supervisor, data=data, preset=preset)
        do_distribution_open(actor=supervisor, distribution_id=distribution.pk, now=opened)
        invitations = list(distribution.invitations.order_by("pk"))
        Invitation.objects.filter(distribution=distribution).update(
            state=InviteState.INVITED, sent_at=opened, last_sent_at=opened, created_at=opened
        )
        version = questionnaire.current_version
        for invitation in invitations:
            if rng.random() >= share:
                continue
            at = opened + timedelta(hours=rng.randint(1, 24 * 20))
            mood = rng.gauss(3.9 if builtin != "post_service" else 3.0, 0.6)
            do_response_submit(
                version=version,
                answers=answerer.sheet(version, mood),
                invitation=invitation,
                now=min(at, now),
            )
            count += 1
    count += _comment_cards(made["comment_card"], supervisor, answerer, now=now)
    return count


def _comment_cards(questionnaire, supervisor, answerer: _Answerer, *, now: datetime) -> int:
    opened = now - timedelta(days=60)
    data = {"questionnaire": questionnaire.pk, "name": "门店意见卡（扫码填写）"}
    distribution = do_distribution_create(actor=supervisor, data=data, preset="comment_card")
    do_distribution_open(actor=supervisor, distribution_id=distribution.pk, now=opened)
    distribution = Distribution.objects.get(pk=distribution.pk)
    version = questionnaire.current_version
    for day in range(40):
        do_response_submit(
            version=version,
            answers=answerer.sheet(version, answerer.rng.gauss(3.8, 0.8)),
            distribution=distribution,
            now=opened + timedelta(days=day * 1.4, hours=answerer.rng.randint(8, 20)),
        )
    return Response.objects.filter(distribution=distribution).count()
