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
