from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    ORGANIZATION = "organization", _("组织")


class Tier(models.TextChoices):
    A = "A", _("A 类（重要）")
    B = "B", _("B 类（主要）")
    C = "C", _("C 类（普通）")
    D = "D", _("D 类（小客户）")


class Stage(models.TextChoices):
    POTENTIAL = "potential", _("潜在客户")
    TARGET = "target", _("目标客户")
    CURRENT = "current", _("现实客户")
    LOST = "lost", _("流失客户")


class Gender(models.TextChoices):
    UNKNOWN = "", _("未知")
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Customer(models.Model):
    number = models.CharField(_("客户编号"), max_length=16, unique=True, editable=False)
    kind = models.CharField(
        _("类型"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL
    )
    name = models.CharField(_("名称"), max_length=100, db_index=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    # National digits only, so "138 0013-8000" and "+86 13800138000" find the same customer.
    phone_digits = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("电子邮件"), blank=True)
    tier = models.CharField(_("价值等级"), max_length=1, choices=Tier.choices, default=Tier.C)
    stage = models.CharField(
        _("生命周期阶段"), max_length=16, choices=Stage.choices, default=Stage.POTENTIAL
    )
    is_internal = models.BooleanField(_("内部客户"), default=False)
    gender = models.CharField(
        _("性别"), max_length=8, choices=Gender.choices, blank=True, default=Gender.UNKNOWN
    )
    city = models.CharField(_("城市"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建档人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tier", "stage"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"
