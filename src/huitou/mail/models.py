"""The e-mail channel: mailboxes customers write to, every e-mail that came in (once per
Message-ID and mailbox), and every reply that went out (through core's outbox)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An address customers write to, the department it feeds, and how to reach its
    IMAP and SMTP servers."""

    address = models.EmailField(_("邮箱地址"), unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("接收部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailboxes",
    )
    active = models.BooleanField(_("启用"), default=True)
    imap_host = models.CharField(_("IMAP 服务器"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP 端口"), default=993)
    imap_tls = models.BooleanField(_("IMAP 使用 TLS"), default=True)
    imap_username = models.CharField(_("IMAP 用户名"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP 密码"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP 文件夹"), max_length=255, default="INBOX")
    smtp_host = models.CharField(_("SMTP 服务器"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP 端口"), default=465)
    smtp_tls = models.BooleanField(_("SMTP 使用 TLS"), default=True)
    smtp_username = models.CharField(_("SMTP 用户名"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP 密码"), max_length=255, blank=True)
    signature = models.TextField(_("签名"), blank=True)
    auto_answer = models.BooleanField(_("自动答复"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("邮箱")
        verbose_name_plural = _("邮箱")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address


class InboundMail(models.Model):
    """One e-mail received: stored before anything is done with it, so a retry of the same
    message (same Message-ID in the same mailbox) finds it and changes nothing."""

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("新建工单")
        REPLY = "reply", _("追加到工单")
        IGNORED = "ignored", _("已忽略")
        THROTTLED = "throttled", _("已限流")

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("邮箱"), on_delete=models.CASCADE, related_name="inbound"
    )
    message_id = models.CharField(_("Message-ID"), max_length=500)
    from_address = models.CharField(_("发件人"), max_length=254, blank=True)
    subject = models.CharField(_("主题"), max_length=500, blank=True)
    raw = models.BinaryField(_("原始邮件"))
    outcome = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mail",
    )
    ticket_message = models.OneToOneField(
        "tickets.Message",
        verbose_name=_("消息"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mail",
    )
    imap_uid = models.CharField(_("IMAP UID"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("收到的邮件")
        verbose_name_plural = _("收到的邮件")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], name="mail_inbound_once_per_mailbox"
            )
        ]
        # By sender: notify's look-up of a new ticket's mail during its ingest (any mailbox),
        # and the flood count over a time window.
        indexes = [models.Index(fields=["from_address", "received_at"], name="mail_inbound_sender")]

    def __str__(self) -> str:
        return self.message_id


class OutgoingMail(models.Model):
    """A public reply sent by e-mail: its Message-ID (which the customer's reply will
    name) and the outbox row that delivers it (its state is the delivery state)."""

    ticket_message = models.OneToOneField(
        "tickets.Message",
        verbose_name=_("消息"),
        on_delete=models.CASCADE,
        related_name="outgoing_mail",
    )
    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("邮箱"), on_delete=models.PROTECT, related_name="outgoing"
    )
    outbox = models.OneToOneField(
        "core.OutboxMessage",
        verbose_name=_("发件队列"),
        on_delete=models.PROTECT,
        related_name="outgoing_mail",
    )
    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发出的邮件")
        verbose_name_plural = _("发出的邮件")

    def __str__(self) -> str:
        return self.message_id
