"""Complaints (客户投诉): the dispatch workflow record, recovery, call-backs, alerts, QA scores."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    RECEIVED = "received", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("部门已接单")
    RETURNED = "returned", _("处理结果已反馈")
    REPLIED = "replied", _("已答复客户")
    CLOSED = "closed", _("已结案")


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("严重")
    MAJOR = "major", _("重大")


class Behaviour(models.TextChoices):
    PASSIVE = "passive", _("消极抱怨")
    PUBLICITY = "publicity", _("负面宣传")
    ANGER = "anger", _("愤怒发泄")
    EXTREME = "extreme", _("极端激进")


class Purpose(models.TextChoices):
    SUGGESTION = "suggestion", _("建议")
    CRITICISM = "criticism", _("批评")
    ACCUSATION = "accusation", _("控告")


class Cause(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("产品质量")
    SERVICE = "service", _("服务")
    PRICE = "price", _("价格")
    INTEGRITY = "integrity", _("诚信")
    DELIVERY = "delivery", _("物流")
    CONTRACT = "contract", _("合同")


class Validity(models.TextChoices):
    VALID = "valid", _("有效")
    PARTLY = "partly", _("部分有效")
    INVALID = "invalid", _("无效")


class ReplyMode(models.TextChoices):
    IMMEDIATE = "immediate", _("当即答复")
    DEFERRED = "deferred", _("延后答复")
    TRANSFERRED = "transferred", _("转交答复")


class MajorReason(models.TextChoices):
    TIER_A = "tier_a", _("VIP（A 类）客户")
    COMPENSATION = "compensation", _("索赔金额超过阈值")
    BEHAVIOUR = "behaviour", _("愤怒或极端行为")
    SEVERITY = "severity", _("定级为重大")
    REOPENED = "reopened", _("投诉被重新打开")
    OVERDUE = "overdue", _("派单逾期")
    REPEATED = "repeated", _("短期内重复投诉")


class Step(models.TextChoices):
    RECEIVED = "received", _("受理")
    ANSWERED = "answered", _("当即答复")
    DISPATCHED = "dispatched", _("派单")
    ACCEPTED = "accepted", _("部门接单")
    RESULT = "result", _("部门反馈结果")
    REPLIED = "replied", _("答复客户")
    CALLBACK = "callback", _("回访")
    CLOSED = "closed", _("结案")
    REOPENED = "reopened", _("重新打开")
    MAJOR = "major", _("升级为重大投诉")
    OVERDUE = "overdue", _("派单逾期")


class ComplaintPolicy(models.Model):
    """The thresholds of the complaint process; one row (pk=1), edited by admins."""

    dispatch_due_hours = models.PositiveIntegerField(_("派单默认处理时限（小时）"), default=24)
    callback_delay_hours = models.PositiveIntegerField(_("答复后多久回访（小时）"), default=24)
    satisfied_min = models.PositiveSmallIntegerField(
        _("回访满意的最低分"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    reopen_when_unsatisfied = models.BooleanField(_("回访不满意时重新打开"), default=True)
    major_compensation_threshold = models.DecimalField(
        _("重大投诉索赔阈值（元）"), max_digits=12, decimal_places=2, default=Decimal("5000")
    )
    repeat_window_days = models.PositiveIntegerField(_("重复投诉判定天数"), default=30)
    crisis_threshold = models.PositiveIntegerField(
        _("危机预警：同因同产品投诉数"), default=5, validators=[MinValueValidator(2)]
    )
    crisis_window_hours = models.PositiveIntegerField(_("危机预警：时间窗口（小时）"), default=24)
    publicity_alert = models.BooleanField(_("负面宣传投诉即预警"), default=True)

    class Meta:
        verbose_name = _("投诉处理规则")
        verbose_name_plural = _("投诉处理规则")

    def __str__(self) -> str:
        return str(_("投诉处理规则"))

    @classmethod
    def load(cls) -> "ComplaintPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class Complaint(models.Model):
    """The complaint side of a ticket of type complaint: where it is in the flow, and why."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        related_name="complaint",
        primary_key=True,
    )
    state = models.CharField(
        _("投诉状态"), max_length=16, choices=State.choices, default=State.RECEIVED, db_index=True
    )
    # Classification [002, 003].
    severity = models.CharField(
        _("严重程度"), max_length=16, choices=Severity.choices, default=Severity.GENERAL
    )
    behaviour = models.CharField(
        _("投诉行为"), max_length=16, choices=Behaviour.choices, blank=True
    )
    purpose = models.CharField(_("投诉目的"), max_length=16, choices=Purpose.choices, blank=True)
    cause = models.CharField(_("投诉原因"), max_length=16, choices=Cause.choices, blank=True)
    product = models.CharField(_("产品"), max_length=100, blank=True, db_index=True)
    # 5W1H [004].
    who = models.CharField(_("何人"), max_length=200, blank=True)
    what = models.CharField(_("何事"), max_length=500, blank=True)
    when = models.CharField(_("何时"), max_length=200, blank=True)
    where = models.CharField(_("何地"), max_length=200, blank=True)
    why = models.CharField(_("何因"), max_length=500, blank=True)
    how = models.CharField(_("如何"), max_length=500, blank=True)
    validity = models.CharField(_("有效性"), max_length=16, choices=Validity.choices, blank=True)
    validity_reason = models.CharField(_("有效性判断理由"), max_length=500, blank=True)
    demand = models.TextField(_("客户诉求"), blank=True)
    compensation_demand = models.DecimalField(
        _("索赔金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    solution_offered = models.TextField(_("提出的解决方案"), blank=True)
    solution_accepted = models.BooleanField(_("客户接受方案"), null=True, blank=True)
    reply_mode = models.CharField(
        _("答复方式"), max_length=16, choices=ReplyMode.choices, blank=True
    )
    promised_date = models.DateField(_("承诺答复日期"), null=True, blank=True)
    recovery_satisfaction = models.PositiveSmallIntegerField(
        _("对补救的满意度"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    # The flow.
    first_contact_resolution = models.BooleanField(_("首次接触解决"), default=False)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("部门处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dispatch_due_at = models.DateTimeField(_("部门处理时限"), null=True, blank=True, db_index=True)
    dispatch_overdue = models.BooleanField(_("派单逾期"), default=False)
    result = models.TextField(_("部门处理结果"), blank=True)
    reopen_count = models.PositiveIntegerField(_("重开次数"), default=0)
    is_major = models.BooleanField(_("重大投诉"), default=False, db_index=True)
    major_reasons = models.JSONField(_("重大原因"), default=list, blank=True)
    major_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("受理时间"), db_index=True)
    first_dispatched_at = models.DateTimeField(_("首次派单时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    result_at = models.DateTimeField(_("结果反馈时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-received_at"]
        permissions = [
            ("handle_complaint", _("可受理、派单、答复和回访投诉")),
            ("process_dispatch", _("可接单并反馈部门处理结果")),
            ("score_dispatch", _("可为派单质量评分")),
            ("view_complaint_analysis", _("可查看投诉分析")),
            ("acknowledge_crisis", _("可确认危机预警")),
        ]
        indexes = [
            models.Index(fields=["state", "dispatch_due_at"]),
            models.Index(fields=["cause", "product", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.state}"

    @property
    def major_reason_labels(self) -> list[str]:
        return [
            MajorReason(code).label for code in self.major_reasons if code in MajorReason.values
        ]


class ComplaintStep(models.Model):
    """One time-stamped step of the flow: who did what, when, and why."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField(_("环节"), max_length=16, choices=Step.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), db_index=True)
    state = models.CharField(_("之后的状态"), max_length=16, choices=State.choices)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)
    due_at = models.DateTimeField(_("时限"), null=True, blank=True)

    class Meta:
        verbose_name = _("投诉环节")
        verbose_name_plural = _("投诉环节")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.step} @ {self.at:%Y-%m-%d %H:%M}"


class RecoveryAction(models.Model):
    """Service recovery (服务补救) carried out for a complaint, with its cost."""

    class Kind(models.TextChoices):
        APOLOGY = "apology", _("道歉")
        REFUND = "refund", _("退款")
        REPLACEMENT = "replacement", _("换货")
        REPAIR = "repair", _("维修")
        COMPENSATION = "compensation", _("赔偿")
        GIFT = "gift", _("赠品")

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="recoveries"
    )
    kind = models.CharField(_("补救方式"), max_length=16, choices=Kind.choices)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    amount = models.DecimalField(_("金额/成本（元）"), max_digits=12, decimal_places=2, default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务补救")
        verbose_name_plural = _("服务补救")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class CallbackTask(models.Model):
    """The follow-up call (回访) after the customer has been replied to."""

    class Status(models.TextChoices):
        OPEN = "open", _("待回访")
        DONE = "done", _("已回访")
        CANCELLED = "cancelled", _("已取消")

    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="callbacks"
    )
    due_at = models.DateTimeField(_("应回访时间"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("未接通次数"), default=0)
    outcome = models.CharField(_("回访结果"), max_length=16, choices=Outcome.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.TextField(_("回访记录"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("回访任务")
        verbose_name_plural = _("回访任务")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.status} {self.due_at:%Y-%m-%d %H:%M}"


class CrisisAlert(models.Model):
    """危机预警: a cluster of same-cause same-product complaints, or negative publicity."""

    class Kind(models.TextChoices):
        CLUSTER = "cluster", _("群体性投诉")
        PUBLICITY = "publicity", _("负面宣传")

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    cause = models.CharField(_("投诉原因"), max_length=16, choices=Cause.choices, blank=True)
    product = models.CharField(_("产品"), max_length=100, blank=True)
    complaint_count = models.PositiveIntegerField(_("投诉数"), default=0)
    complaints = models.ManyToManyField(Complaint, verbose_name=_("投诉"), related_name="alerts")
    window_start = models.DateTimeField(_("窗口开始"))
    created_at = models.DateTimeField(_("预警时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledge_note = models.CharField(_("确认说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("危机预警")
        verbose_name_plural = _("危机预警")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.cause} {self.product} ×{self.complaint_count}"


# The dispatch-quality rubric [000]: criterion → the most points it can give (100 in all).
DISPATCH_RUBRIC = {
    "right_department": 30,
    "clear_description": 25,
    "due_time_met": 25,
    "reply_quality": 20,
}


class DispatchScore(models.Model):
    """A QA inspector's score of how well a complaint was dispatched and answered."""

    complaint = models.OneToOneField(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="dispatch_score"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("质检员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Whom the score is about: the agent who dispatched, and the department that handled it.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    right_department = models.PositiveSmallIntegerField(_("派单部门准确"))
    clear_description = models.PositiveSmallIntegerField(_("问题描述清楚"))
    due_time_met = models.PositiveSmallIntegerField(_("按时限完成"))
    reply_quality = models.PositiveSmallIntegerField(_("答复质量"))
    total = models.PositiveSmallIntegerField(_("总分"))
    comment = models.TextField(_("评语"), blank=True)
    scored_at = models.DateTimeField(_("评分时间"), auto_now=True)

    class Meta:
        verbose_name = _("派单质量评分")
        verbose_name_plural = _("派单质量评分")
        ordering = ["-scored_at"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.total}"
