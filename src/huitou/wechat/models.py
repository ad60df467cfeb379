"""The WeChat channels' own records: access tokens shared by every process, the 微信客服
sync cursor, and every message sent to a customer through WeChat's APIs (once each)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Via(models.TextChoices):
    OA = "wechat", _("微信公众号")
    KF = "wechat_kf", _("微信客服")


class WechatAccessToken(models.Model):
    """One API's access token ("oa:<appid>", "kf:<corpid>"), refreshed by one process at a
    time (wechat.client.access_token): WeChat invalidates the old token on each refresh."""

    key = models.CharField(_("凭证"), max_length=100, unique=True)
    token = models.TextField(_("access_token"), blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("微信接口凭证")
        verbose_name_plural = _("微信接口凭证")

    def __str__(self) -> str:
        return self.key


class WecomKfCursor(models.Model):
    """Where kf/sync_msg stopped for one 微信客服 account: the next pull starts there."""

    corp_id = models.CharField(_("企业 ID"), max_length=64)
    open_kfid = models.CharField(_("客服账号 ID"), max_length=64)
    cursor = models.CharField(_("游标"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("微信客服同步游标")
        verbose_name_plural = _("微信客服同步游标")
        constraints = [
            models.UniqueConstraint(fields=["corp_id", "open_kfid"], name="wechat_kf_cursor_once")
        ]

    def __str__(self) -> str:
        return f"{self.corp_id}/{self.open_kfid}"


class WechatOutbound(models.Model):
    """A text for a customer through the customer-service message API: an agent's public
    reply (one row per ticket message) or a bot answer that missed the 5-second passive reply
    (one per incoming message). `key` makes it once; the send claims the row, so it is sent
    once, and a row marked sent is never sent again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    class Reason(models.TextChoices):
        NONE = "", _("无")
        WINDOW_CLOSED = "window_closed", _("已超出 48 小时回复时限")
        REJECTED = "rejected", _("微信拒绝了该消息")
        GAVE_UP = "gave_up", _("多次重试仍失败")
        NOT_CONFIGURED = "not_configured", _("渠道未配置")

    key = models.CharField(_("唯一键"), max_length=200, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wechat_outbound",
    )
    message = models.OneToOneField(
        "tickets.Message",
        verbose_name=_("消息"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wechat_outbound",
    )
    via = models.CharField(_("渠道"), max_length=16, choices=Via.choices)
    account = models.CharField(_("账号"), max_length=64)  # OA app id or kf open_kfid
    touser = models.CharField(_("接收者"), max_length=128)  # openid or external_userid
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reason = models.CharField(
        _("失败原因"), max_length=32, choices=Reason.choices, default=Reason.NONE, blank=True
    )
    last_error = models.TextField(_("最近错误"), blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("微信发出消息")
        verbose_name_plural = _("微信发出消息")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_via_display()} → {self.touser}: {self.body[:30]}"
