import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_ORDER, Role


class Department(models.Model):
    class Kind(models.TextChoices):
        # The service centre receives, answers, dispatches, replies and calls back; the
        # responsible departments receive what it dispatches.
        SERVICE_CENTRE = "service_centre", _("客服中心")
        RESPONSIBLE = "responsible", _("相关责任单位")

    name = models.CharField(_("名称"), max_length=64, unique=True)
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=Kind.choices,
        default=Kind.RESPONSIBLE,
        help_text=_("客服中心受理、答复、派单、回复和回访；相关责任单位接收派单。"),
    )
    description = models.CharField(_("说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_service_centre(self) -> bool:
        return self.kind == self.Kind.SERVICE_CENTRE


def person_name(last: str | None, first: str | None, username: str | None) -> str:
    """Chinese names read surname first, with no space: 李 + 娜 → 李娜."""
    last, first = last or "", first or ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in last + first):
        return f"{last}{first}"
    return f"{first} {last}".strip() or (username or "")


class UserManager(BaseUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `huitou createsuperuser --noinput` skips the password validators; this does not.
        if password is not None:
            validate_password(password, self.model(username=username, email=email or ""))
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    is_service_account = models.BooleanField(
        _("服务账号"),
        default=False,
        help_text=_("系统账号，例如智能客服机器人；不会出现在可指派的处理人中。"),
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        # People are shown by name wherever a user is printed (choices, admin, messages).
        return self.display_name

    @property
    def display_name(self) -> str:
        name = person_name(self.last_name, self.first_name, self.username)
        # A service account's name is ours (智能客服, 邮件渠道, 客户门户): shown in the reader's
        # language like the rest of the page.
        return gettext(name) if self.is_service_account else name

    @property
    def role(self) -> str | None:
        """The user's role code (agent, supervisor, qa, handler, admin), from their groups."""
        if self.is_superuser:
            return Role.ADMIN.value
        names = {group.name for group in self.groups.all()}
        return next((role.value for role in ROLE_ORDER if role.value in names), None)

    @property
    def has_admin_role(self) -> bool:
        """For core, which sits below accounts and so cannot name Role.ADMIN itself."""
        return self.role == Role.ADMIN

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    PREFIX = "ht_"
    PREFIX_LENGTH = 10  # characters of the secret kept (key_prefix) to tell tokens apart

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"

    @classmethod
    def generate_raw(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
