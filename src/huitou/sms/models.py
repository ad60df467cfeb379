"""Text messages: the provider-approved templates they are sent from, and every send (its
state from the request to the provider's delivery receipt)."""

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

SLOT = re.compile(r"\{(\w+)\}")


class Purpose(models.TextChoices):
    NOTIFICATION = "notification", _("进度通知")
    SIGN_IN = "sign_in", _("登录验证码")
    VERIFICATION = "verification", _("联系方式验证")
    MARKETING = "marketing", _("营销关怀")


class SmsTemplate(models.Model):
    """One message wording. Aliyun and Tencent Cloud send only wordings they approved, by their
    own template id; `text` (with {param} slots) is what the console, the HTTP gateway and the
    send history show, and its slots' order is the order of Tencent's TemplateParamSet."""

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    text = models.TextField(_("内容"), help_text=_("用 {参数名} 表示变量，例如 {code}。"))
    aliyun_template_code = models.CharField(
        _("阿里云模板 CODE"), max_length=64, blank=True, help_text=_("例如 SMS_123456789")
    )
    tencent_template_id = models.CharField(_("腾讯云模板 ID"), max_length=32, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("短信模板")
        verbose_name_plural = _("短信模板")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def param_names(self) -> list[str]:
        """The slots in the order they appear, each once."""
        return list(dict.fromkeys(SLOT.findall(self.text)))


class SmsSend(models.Model):
    class Status(models.TextChoices):
        DEFERRED = "deferred", _("免打扰延后")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
        REFUSED_LIMIT = "refused_limit", _("超出每日上限")

    to = models.CharField(_("手机号"), max_length=32)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    template_code = models.CharField(_("模板"), max_length=64, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    text = models.TextField(_("内容"), blank=True)
    provider = models.CharField(_("通道"), max_length=16, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    provider_id = models.CharField(
        _("通道回执号"), max_length=64, blank=True, help_text=_("阿里云 BizId / 腾讯云 SerialNo")
    )
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    scheduled_for = models.DateTimeField(_("计划发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(
        _("回执时间"), null=True, blank=True, help_text=_("送达或失败回执报告的时间")
    )

    class Meta:
        verbose_name = _("短信发送记录")
        verbose_name_plural = _("短信发送记录")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The per-number daily count, the deferred sweep, receipts by provider id.
            models.Index(fields=["to", "sent_at"], name="sms_send_daily"),
            models.Index(fields=["status", "scheduled_for"], name="sms_send_due"),
            models.Index(fields=["provider", "provider_id"], name="sms_send_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.get_status_display()}"
