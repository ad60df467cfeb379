from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext_lazy as _


class NumberSequence(models.Model):
    """The last number issued per prefix and year; a row lock makes issuing race-free."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="uniq_number_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year}: {self.last_value}"


class Reports(models.Model):
    """No table: the holder of the permission to read the figures of every app (SLA
    compliance, the bot's self-service rate), since Django hangs permissions on a model.
    An app's own analysis keeps its own permission (complaints.view_complaint_analysis)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", _("可查看报表与分析"))]
        verbose_name = _("报表")
        verbose_name_plural = _("报表")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class AuditEntryQuerySet(models.QuerySet):
    def for_object(self, obj: models.Model) -> "AuditEntryQuerySet":
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        return self.filter(content_type=content_type, object_id=obj.pk)


AUDIT_ACTION_LABELS = {
    "created": _("创建"),
    "changed": _("修改"),
    "reopened": _("重新打开"),
    "replied": _("公开回复"),
    "noted": _("内部备注"),
    "merged": _("合并了重复客户"),
    "imported": _("导入"),
    "merged_into": _("已合并到其他客户"),
    "scored": _("质检评分"),
    "recovery": _("登记服务补救"),
    "acknowledged": _("确认预警"),
    "anonymised": _("个人信息已匿名化"),
    "mail_resent": _("重新发送邮件"),
}


def field_label(field) -> str:
    """What people call a model field, whatever kind it is.

    Reverse relations (ManyToOneRel, OneToOneRel, ManyToManyRel) have no verbose name of
    their own: they are called after the model on the other side.
    """
    if isinstance(field, ForeignObjectRel):
        options = field.related_model._meta
        return str(options.verbose_name if field.one_to_one else options.verbose_name_plural)
    return str(getattr(field, "verbose_name", None) or field.name)


class AuditEntry(models.Model):
    """Append-only history: who changed what on which object, from which value to which.

    Values are stored as raw codes ("open", not "处理中") so they stay machine-readable;
    the *_label properties translate them for people.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("动作"), max_length=32)
    field = models.CharField(_("字段"), max_length=64, blank=True)
    old_value = models.TextField(_("原值"), blank=True)
    new_value = models.TextField(_("新值"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.field}: {self.old_value} → {self.new_value}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only.")

    @property
    def action_label(self) -> str:
        return str(AUDIT_ACTION_LABELS.get(self.action, self.action))

    def _model_field(self):
        model = self.content_type.model_class()  # None once the model is gone
        if model is None or not self.field:
            return None
        try:
            return model._meta.get_field(self.field)
        except FieldDoesNotExist:  # a field that no longer exists keeps its raw name
            return None

    @property
    def field_label(self) -> str:
        field = self._model_field()
        return field_label(field) if field is not None else self.field

    def _value_label(self, value: str) -> str:
        field = self._model_field()
        if getattr(field, "choices", None):  # reverse relations have no choices
            return str(dict(field.flatchoices).get(value, value))
        return value

    @property
    def old_label(self) -> str:
        return self._value_label(self.old_value)

    @property
    def new_label(self) -> str:
        if self.action in {"replied", "noted", "created"}:
            return ""  # message ids and numbers say nothing to a reader here
        return self._value_label(self.new_value)


class WorkerHeartbeat(models.Model):
    """One row per worker name, touched by a periodic task; /healthz reads its age."""

    name = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = _("后台任务心跳")
        verbose_name_plural = _("后台任务心跳")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """The in-app notification centre: one row per recipient, read or not."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类别"), max_length=32)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class OutboxMessage(models.Model):
    """An e-mail to send, written in the same transaction as what it tells of.

    Workers claim a due row with one conditional UPDATE (pending, or sending with an expired
    lease), send it with the row's fixed Message-ID, and mark it sent: a worker killed
    mid-send leaves the row claimed, and once the lease runs out another worker sends it.
    Delivery is at least once; the only window for a second copy is a crash between the
    mail server's acceptance and the mark, and that copy carries the same Message-ID."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    # What produced it ("notification", "customer_reply", …) and, optionally, a key that
    # makes writing it twice a no-op (e.g. "notification:42").
    kind = models.CharField(_("类别"), max_length=32, blank=True)
    key = models.CharField(_("幂等键"), max_length=200, unique=True, null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    from_email = models.CharField(_("发件人"), max_length=254, blank=True)
    to = models.JSONField(_("收件人"), default=list)
    cc = models.JSONField(_("抄送"), default=list, blank=True)
    reply_to = models.JSONField(_("回复地址"), default=list, blank=True)
    subject = models.CharField(_("主题"), max_length=500)
    body = models.TextField(_("正文"), blank=True)
    html_body = models.TextField(_("HTML 正文"), blank=True)
    # Extra headers, e.g. In-Reply-To and References for a reply in a customer's thread.
    headers = models.JSONField(_("邮件头"), default=dict, blank=True)
    # Which registered transport sends it ("mail.mailbox:3": that mailbox's SMTP server);
    # blank: the default connection (EMAIL_* settings).
    transport = models.CharField(_("发送通道"), max_length=100, blank=True)
    # Files to attach, [{name, content_type, path}], each path in the default storage.
    attachments = models.JSONField(_("附件"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    claimed_by = models.CharField(_("发送进程"), max_length=100, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发邮件")
        verbose_name_plural = _("待发邮件")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Workers look only at unsent rows: a small partial index.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="core_outbox_due",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"
