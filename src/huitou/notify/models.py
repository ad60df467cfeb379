"""Progress notifications to customers: the editable templates they are made from, the
customers who asked for none, and every notification made (its delivery state)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    RECEIVED = "received", _("已受理")
    PUBLIC_REPLY = "public_reply", _("客服回复")
    DISPATCHED = "dispatched", _("已转交部门")
    RESOLVED = "resolved", _("已解决")
    REOPENED = "reopened", _("重新处理")


class NotifyChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class NotificationTemplate(models.Model):
    """What the customer is told on one event by one channel. Variables such as {工单号} are
    filled when it is sent; an unknown one is refused when the template is saved."""

    event = models.CharField(_("事件"), max_length=16, choices=Event.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=NotifyChannel.choices)
    subject = models.CharField(_("邮件主题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")
        ordering = ["event", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel"], name="notify_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} · {self.get_channel_display()}"


class NotificationOptOut(models.Model):
    """A customer who wants no progress notifications: by any channel (channel blank) or by
    one. Replies they asked for (e-mail answers to their e-mail) are not notifications."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="notification_opt_out",
    )
    channel = models.CharField(
        _("渠道"),
        max_length=8,
        choices=NotifyChannel.choices,
        blank=True,
        help_text=_("留空表示退订全部渠道的通知。"),
    )
    at = models.DateTimeField(_("退订时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知退订")
        verbose_name_plural = _("通知退订")

    def __str__(self) -> str:
        return str(self.customer)


class Notification(models.Model):
    """One notification as sent: an e-mail is delivered by core's outbox (its row says the
    state); a text message is delivered by notify's own worker task from this row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    key = models.CharField(_("键"), max_length=100, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("事件"), max_length=16, choices=Event.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=NotifyChannel.choices)
    recipient = models.CharField(_("接收方"), max_length=254)
    subject = models.CharField(_("主题"), max_length=500, blank=True)
    body = models.TextField(_("内容"))
    outbox = models.OneToOneField(
        "core.OutboxMessage",
        verbose_name=_("发件队列"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notification",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("客户通知")
        verbose_name_plural = _("客户通知")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key
