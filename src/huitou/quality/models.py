"""QA inspection (质检) of conversations: a conversation is a ticket of any channel and its
messages. Inspectors score it on a scorecard of weighted items; a failed critical (fatal)
item zeroes the score. Sampling plans fill each inspector's queue; automatic checks pre-fill
what they can and say why; agents appeal once, a supervisor decides. Calibration sessions
and mystery-shopper tasks (神秘客) use the same scorecards."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huitou.tickets.models import Channel


class Check(models.TextChoices):
    """The automatic checks an item may be pre-filled by (quality.checks)."""

    NONE = "", _("人工评分")
    GREETING = "greeting", _("问候语")
    CLOSING = "closing", _("结束语（致谢）")
    FORBIDDEN = "forbidden", _("服务忌语")
    FIRST_RESPONSE = "first_response", _("首次响应时限")
    REPLY_TIME = "reply_time", _("回复时限")
    REPEAT_CONTACT = "repeat_contact", _("重复来电")
    REPEAT_BACK = "repeat_back", _("复述确认")
    HOLD_REASON = "hold_reason", _("等待或转接前说明原因")
    DEFINITE_TIME = "definite_time", _("给出明确答复时间")


class Result(models.TextChoices):
    PASS = "pass", _("达标")
    PARTIAL = "partial", _("部分达标")
    FAIL = "fail", _("不达标")
    NA = "na", _("不适用")


class Scorecard(models.Model):
    """A rubric. `channels` lists the ticket channels it applies to (empty: every channel)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), blank=True)
    channels = models.JSONField(_("适用渠道"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    builtin = models.CharField(_("内置评分表"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("质检评分表")
        verbose_name_plural = _("质检评分表")
        ordering = ["id"]
        permissions = [
            ("inspect_conversations", _("质检会话（评分、校准、神秘客）")),
            ("manage_scorecards", _("管理质检评分表、抽样计划和神秘客任务")),
            ("decide_appeals", _("裁决质检申诉")),
            ("view_own_quality", _("查看本人的质检结果并申诉")),
            ("view_quality_figures", _("查看质检统计")),
        ]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


class ScorecardItem(models.Model):
    """One line of a scorecard: `weight` points; a critical item failed zeroes the total."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(_("编号"), max_length=32)
    label = models.CharField(_("评分项"), max_length=100)
    description = models.CharField(_("标准"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(_("分值"))
    critical = models.BooleanField(_("致命项"), default=False)
    auto_check = models.CharField(
        _("自动检查"), max_length=20, choices=Check.choices, blank=True, default=Check.NONE
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评分项")
        verbose_name_plural = _("评分项")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "key"], name="quality_item_key_once")
        ]

    def __str__(self) -> str:
        return self.label


class QualitySettings(models.Model):
    """The automatic checks' phrase lists and limits (one row)."""

    greeting_phrases = models.JSONField(_("问候语"), default=list)
    closing_phrases = models.JSONField(_("结束语"), default=list)
    repeat_back_phrases = models.JSONField(_("复述确认用语"), default=list)
    hold_phrases = models.JSONField(_("等待或转接用语"), default=list)
    reason_phrases = models.JSONField(_("说明原因用语"), default=list)
    promise_phrases = models.JSONField(_("承诺答复用语"), default=list)
    repeat_days = models.PositiveSmallIntegerField(_("重复来电（天内）"), default=7)

    class Meta:
        verbose_name = _("质检设置")
        verbose_name_plural = _("质检设置")

    def __str__(self) -> str:
        return str(_("质检设置"))


class SamplingPlan(models.Model):
    class Kind(models.TextChoices):
        AGENT_SHARE = "agent_share", _("每位坐席每周按比例抽检")
        LOW_RATING = "low_rating", _("全部低分评价")
        COMPLAINT = "complaint", _("全部投诉")
        RANDOM = "random", _("随机抽检")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("方式"), max_length=16, choices=Kind.choices)
    percent = models.PositiveSmallIntegerField(_("抽检比例 %"), default=5)
    channels = models.JSONField(_("渠道"), default=list, blank=True)  # empty: all
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("评分表"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip  # blank: the scorecard for the ticket's channel
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("质检员"), related_name="+"
    )
    last_inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip  # round-robin pointer
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("抽样计划")
        verbose_name_plural = _("抽样计划")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CalibrationSession(models.Model):
    """Several inspectors score the same conversation independently; the spread shows how
    far apart they are."""

    name = models.CharField(_("名称"), max_length=100)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("校准会")
        verbose_name_plural = _("校准会")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class MysteryTask(models.Model):
    """A scripted test contact (神秘客): the inspector makes it, links the ticket that
    resulted and scores it on the same scorecards."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("待执行")
        LINKED = "linked", _("待评分")
        SCORED = "scored", _("已评分")

    title = models.CharField(_("标题"), max_length=200)
    script = models.TextField(_("情景脚本"))
    channel = models.CharField(_("渠道"), max_length=16)
    due_date = models.DateField(_("完成日期"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("质检员"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("评分表"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.ASSIGNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("神秘客任务")
        verbose_name_plural = _("神秘客任务")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label) if self.channel in Channel.values else self.channel


class Inspection(models.Model):
    class Source(models.TextChoices):
        PLAN = "plan", _("抽样")
        MANUAL = "manual", _("人工选取")
        CALIBRATION = "calibration", _("校准")
        MYSTERY = "mystery", _("神秘客")

    class State(models.TextChoices):
        QUEUED = "queued", _("待质检")
        SUBMITTED = "submitted", _("已提交")
        APPEALED = "appealed", _("申诉中")
        FINAL = "final", _("已裁决")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("质检员"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("坐席"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="quality_results",
    )  # fmt: skip
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    plan = models.ForeignKey(
        SamplingPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    week = models.DateField(_("抽样周"), null=True, blank=True)  # the Monday
    calibration = models.ForeignKey(
        CalibrationSession, on_delete=models.CASCADE, null=True, blank=True,
        related_name="inspections",
    )  # fmt: skip
    mystery = models.ForeignKey(
        MysteryTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True)
    critical_failed = models.BooleanField(_("致命项不达标"), default=False)
    comment = models.TextField(_("总评"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("质检记录")
        verbose_name_plural = _("质检记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A plan draws a conversation once, however often it runs.
            models.UniqueConstraint(
                fields=["plan", "ticket"],
                condition=models.Q(plan__isnull=False),
                name="quality_plan_ticket_once",
            ),
            models.UniqueConstraint(
                fields=["calibration", "inspector"],
                condition=models.Q(calibration__isnull=False),
                name="quality_calibration_inspector_once",
            ),
        ]
        indexes = [models.Index(fields=["inspector", "state"], name="quality_queue")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.state}"


class InspectionItem(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(ScorecardItem, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("结果"), max_length=8, choices=Result.choices, blank=True)
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True)
    comment = models.TextField(_("评语"), blank=True)
    auto_result = models.CharField(_("自动检查结果"), max_length=8, blank=True)
    auto_reason = models.TextField(_("自动检查说明"), blank=True)

    class Meta:
        verbose_name = _("评分明细")
        verbose_name_plural = _("评分明细")
        ordering = ["item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="quality_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.item_id} {self.result}"


class Appeal(models.Model):
    """The agent's one appeal against a result; a supervisor upholds or overturns it."""

    class State(models.TextChoices):
        OPEN = "open", _("待裁决")
        UPHELD = "upheld", _("维持原判")
        OVERTURNED = "overturned", _("改判")

    inspection = models.OneToOneField(Inspection, on_delete=models.CASCADE, related_name="appeal")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申诉理由"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.OPEN)
    old_score = models.DecimalField(_("原得分"), max_digits=5, decimal_places=1, null=True)
    new_score = models.DecimalField(_("改判得分"), max_digits=5, decimal_places=1, null=True)
    decision_note = models.TextField(_("裁决说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("申诉时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("质检申诉")
        verbose_name_plural = _("质检申诉")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.state}"
