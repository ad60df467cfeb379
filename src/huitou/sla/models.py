"""Service standards (服务标准) as SLAs in business time, escalation, queues and assignment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huitou.customers.models import Tier
from huitou.tickets.models import Channel, Priority, TicketType


class BusinessCalendar(models.Model):
    """Working hours in a time zone, e.g. the 7×24 hotline or the back office's 工作日."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    timezone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    # {"mon": [["09:00", "12:00"], ["13:30", "18:00"]], ...}; a day left out is off.
    hours = models.JSONField(_("每周工作时间"), default=dict)
    # The hours of a make-up working day (调休); by default the first weekday's.
    workday_hours = models.JSONField(_("调休日工作时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("节假日")
        WORKDAY = "workday", _("调休工作日")

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("日历"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("说明"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_one_entry_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class SlaPolicy(models.Model):
    """Targets in business minutes, for the tickets its conditions match (first by order)."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("顺序"), default=100, db_index=True)
    active = models.BooleanField(_("启用"), default=True)
    # Conditions; blank matches any.
    tier = models.CharField(_("客户等级"), max_length=1, choices=Tier.choices, blank=True)
    ticket_type = models.CharField(
        _("工单类型"), max_length=16, choices=TicketType.choices, blank=True
    )
    priority = models.CharField(_("优先级"), max_length=16, choices=Priority.choices, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("工作日历"), on_delete=models.PROTECT, related_name="+"
    )
    first_response_minutes = models.PositiveIntegerField(_("首次响应时限（工作分钟）"))
    next_response_minutes = models.PositiveIntegerField(
        _("再次响应时限（工作分钟）"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("解决时限（工作分钟）"))
    dispatch_minutes = models.PositiveIntegerField(
        _("投诉派单时限（工作分钟）"), null=True, blank=True
    )
    department_result_minutes = models.PositiveIntegerField(
        _("部门反馈时限（工作分钟）"), null=True, blank=True
    )
    at_risk_percent = models.PositiveSmallIntegerField(_("预警比例 %"), default=75)

    class Meta:
        verbose_name = _("SLA 策略")
        verbose_name_plural = _("SLA 策略")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def conditions(self) -> dict[str, str]:
        return {
            key: value
            for key, value in (
                ("tier", self.tier),
                ("type", self.ticket_type),
                ("priority", self.priority),
                ("channel", self.channel),
            )
            if value
        }


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("首次响应")
    NEXT_RESPONSE = "next_response", _("再次响应")
    RESOLUTION = "resolution", _("解决")


class EscalationStep(models.Model):
    """问题升级: what happens at X % of a target, at the breach, or Y minutes after it."""

    class Trigger(models.TextChoices):
        PERCENT = "percent", _("达到时限的百分比")
        BREACH = "breach", _("超时")
        AFTER_BREACH = "after_breach", _("超时后（工作分钟）")

    class Action(models.TextChoices):
        WARN_ASSIGNEE = "warn_assignee", _("提醒处理人")
        NOTIFY_SUPERVISOR = "notify_supervisor", _("通知主管")
        RAISE_PRIORITY = "raise_priority", _("提高优先级")
        REASSIGN = "reassign", _("改派")

    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA 策略"), on_delete=models.CASCADE, related_name="steps"
    )
    metric = models.CharField(_("指标"), max_length=16, choices=Metric.choices)
    trigger = models.CharField(_("触发条件"), max_length=16, choices=Trigger.choices)
    value = models.PositiveIntegerField(_("数值"), default=0)
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)

    class Meta:
        verbose_name = _("升级步骤")
        verbose_name_plural = _("升级步骤")
        ordering = ["policy", "metric", "trigger", "value", "id"]

    def __str__(self) -> str:
        return (
            f"{self.get_metric_display()} {self.get_trigger_display()} {self.value} → {self.action}"
        )


class TicketSla(models.Model):
    """A ticket's clock: its policy, due times, pauses and what has been met."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        related_name="sla",
        primary_key=True,
    )
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA 策略"), on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"))
    paused_at = models.DateTimeField(_("暂停于"), null=True, blank=True)
    paused_seconds = models.FloatField(_("已暂停的工作时间（秒）"), default=0)
    first_response_due = models.DateTimeField(_("首次响应截止"), db_index=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    next_response_due = models.DateTimeField(_("再次响应截止"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("解决截止"), db_index=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单 SLA")
        verbose_name_plural = _("工单 SLA")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.policy_id}"


class EscalationAction(models.Model):
    """One escalation step due on one ticket. Workers claim pending rows with
    SELECT … FOR UPDATE SKIP LOCKED and mark them done in the same transaction as the
    action itself, so each fires exactly once, whatever the number of workers or crashes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待执行")
        DONE = "done", _("已执行")
        CANCELLED = "cancelled", _("已取消")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("工单"), on_delete=models.CASCADE, related_name="+"
    )
    step = models.ForeignKey(
        EscalationStep, verbose_name=_("升级步骤"), on_delete=models.CASCADE, related_name="+"
    )
    fire_at = models.DateTimeField(_("执行时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    worker = models.CharField(_("执行者"), max_length=64, blank=True)
    done_at = models.DateTimeField(_("执行于"), null=True, blank=True)

    class Meta:
        verbose_name = _("升级动作")
        verbose_name_plural = _("升级动作")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step"], name="sla_one_action_per_step")
        ]
        indexes = [
            # The sweep reads only pending rows in fire_at order: a small partial index.
            models.Index(
                fields=["fire_at"],
                name="sla_pending_fire_at",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.step_id} {self.status}"


class Queue(models.Model):
    """A routing queue: by tier (the VIP desk) and by skill or department."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("轮流分配")
        LEAST_OPEN = "least_open", _("最少未结工单")
        # Live chat queues: the customer waits in line until an agent accepts (接入).
        PULL = "pull", _("坐席接入（排队）")

    name = models.CharField(_("名称"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("顺序"), default=100)
    active = models.BooleanField(_("启用"), default=True)
    tier = models.CharField(_("客户等级"), max_length=1, choices=Tier.choices, blank=True)
    ticket_type = models.CharField(
        _("工单类型"), max_length=16, choices=TicketType.choices, blank=True
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, blank=True)
    strategy = models.CharField(
        _("分配方式"), max_length=16, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), blank=True, related_name="queues"
    )
    # When a person answers live chats in this queue (blank: the calendar of the ticket's SLA
    # policy); outside it the chat widget offers to leave a message.
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("服务时间"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上次分配给"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("队列")
        verbose_name_plural = _("队列")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class AgentStatus(models.Model):
    """Whether an agent takes new work now, how much, and of which kinds (skills)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        on_delete=models.CASCADE,
        related_name="agent_status",
        primary_key=True,
    )
    on_duty = models.BooleanField(_("在岗"), default=True)
    capacity = models.PositiveIntegerField(_("最多未结工单"), default=30)
    # Ticket types this agent handles; empty means all.
    skills = models.JSONField(_("技能"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("坐席状态")
        verbose_name_plural = _("坐席状态")

    def __str__(self) -> str:
        return f"{self.user_id} {'on' if self.on_duty else 'off'}"
