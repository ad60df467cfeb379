"""Live conversations: a chat after the bot's hand-off, whoever it came through (the help
centre's widget, WeChat). A conversation IS a ticket (channel chat or wechat): its messages
are the ticket's messages, its SLA clock and history are the ticket's. What this app adds is
the live part: who holds the chat now, the queue it waits in, what each side has read."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Via(models.TextChoices):
    WEB = "web", _("网页在线客服")
    WECHAT = "wechat", _("微信公众号")
    WECHAT_KF = "wechat_kf", _("微信客服")


# Channels that let us write to the customer only for a while after their last message
# (WeChat's customer-service message rules: 48 hours).
REPLY_WINDOW = {Via.WECHAT: timedelta(hours=48), Via.WECHAT_KF: timedelta(hours=48)}

# The ticket channel each way in files its tickets under.
TICKET_CHANNEL = {Via.WEB: "chat", Via.WECHAT: "wechat", Via.WECHAT_KF: "wechat"}


class ChatSession(models.Model):
    """The live state of one conversation's ticket."""

    class State(models.TextChoices):
        WAITING = "waiting", _("排队中")
        ACTIVE = "active", _("服务中")
        OFFLINE = "offline", _("留言")  # after hours / nobody on duty: answered later
        ENDED = "ended", _("已结束")

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        related_name="chat_session",
    )
    conversation = models.OneToOneField(
        "knowledge.BotConversation",
        verbose_name=_("机器人会话"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_session",
    )
    via = models.CharField(_("接入渠道"), max_length=16, choices=Via.choices, default=Via.WEB)
    # WeChat: the app (公众号 AppID / 微信客服 open_kfid) and the customer (openid /
    # external_userid) to write back to.
    account = models.CharField(_("渠道账号"), max_length=64, blank=True)
    external_id = models.CharField(_("渠道用户"), max_length=128, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.WAITING, db_index=True
    )
    offline_reason = models.CharField(_("留言原因"), max_length=32, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接待客服"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    queued_at = models.DateTimeField(_("开始排队"))
    accepted_at = models.DateTimeField(_("接入时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    customer_last_at = models.DateTimeField(_("客户最近发言"), null=True, blank=True)
    # The last message id each side has seen (read receipts).
    customer_read_upto = models.PositiveBigIntegerField(_("客户已读至"), default=0)
    agent_read_upto = models.PositiveBigIntegerField(_("客服已读至"), default=0)

    class Meta:
        verbose_name = _("在线会话")
        verbose_name_plural = _("在线会话")
        indexes = [models.Index(fields=["state", "queued_at"], name="chat_state_queued")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.state}"

    @property
    def group(self) -> str:
        """The channel-layer group of this conversation's customer connections."""
        return f"chat.{self.pk}"


class ChannelIdentity(models.Model):
    """A customer on an outside channel (a WeChat openid) and the conversation they are in,
    so their next message continues it."""

    via = models.CharField(_("接入渠道"), max_length=16, choices=Via.choices)
    account = models.CharField(_("渠道账号"), max_length=64)
    external_id = models.CharField(_("渠道用户"), max_length=128)
    display_name = models.CharField(_("昵称"), max_length=100, blank=True)
    conversation = models.ForeignKey(
        "knowledge.BotConversation",
        verbose_name=_("当前会话"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道用户")
        verbose_name_plural = _("渠道用户")
        constraints = [
            models.UniqueConstraint(
                fields=["via", "account", "external_id"], name="chat_one_identity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.via}:{self.external_id}"


class ChannelMessage(models.Model):
    """An outside channel's message id, once: WeChat resends a message it got no answer to."""

    via = models.CharField(_("接入渠道"), max_length=16, choices=Via.choices)
    external_msg_id = models.CharField(_("渠道消息号"), max_length=128)
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道消息")
        verbose_name_plural = _("渠道消息")
        constraints = [
            models.UniqueConstraint(fields=["via", "external_msg_id"], name="chat_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.via}:{self.external_msg_id}"


class ChatSeat(models.Model):
    """An agent's live-chat settings: how many chats at once, and what rings."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        on_delete=models.CASCADE,
        related_name="chat_seat",
        primary_key=True,
    )
    max_chats = models.PositiveSmallIntegerField(_("同时接待上限"), default=3)
    ring_new_chat = models.BooleanField(_("新会话提醒（声音与桌面通知）"), default=True)
    ring_major_complaint = models.BooleanField(_("重大投诉提醒（声音与桌面通知）"), default=True)

    class Meta:
        verbose_name = _("在线客服设置")
        verbose_name_plural = _("在线客服设置")

    def __str__(self) -> str:
        return str(self.user_id)
