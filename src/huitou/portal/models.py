"""The customer portal's sign-in codes (登录验证码): one row per code sent.

Not knowledge.ContactCode: that proves one ticket's contact (its ticket is required), while a
sign-in has no ticket; it names a destination and, once checked, a customer."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInCode(models.Model):
    """A 6-digit code and a one-time link sent to an e-mail address or a phone. Only HMACs
    of the code and of the link's secret are kept; either signs in once, before expiry."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("电子邮件")
        SMS = "sms", _("短信")

    channel = models.CharField(_("发送方式"), max_length=8, choices=Channel.choices)
    destination = models.CharField(_("发送到"), max_length=254, db_index=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="portal_sign_in_codes",
    )
    code_hash = models.CharField(max_length=100, editable=False)  # salt$hmac
    link_hash = models.CharField(max_length=100, editable=False)  # salt$hmac
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("门户登录码")
        verbose_name_plural = _("门户登录码")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.customer_id}"
