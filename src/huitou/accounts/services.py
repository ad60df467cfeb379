from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError, check_text

from .lockout import check_token_attempt_allowed, record_token_failure
from .models import ApiToken, Department, User, hash_token
from .roles import Role, ensure_role_groups

# The common two-character (复姓) surnames; every other Chinese surname is one character.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "澹台",
        "公冶",
        "太史",
        "申屠",
        "闻人",
        "濮阳",
        "万俟",
        "钟离",
        "宗政",
    ]
)


def split_full_name(full_name: str) -> tuple[str, str]:
    """(surname, given name): 欧阳娜 → (欧阳, 娜), 李娜 → (李, 娜), John Smith → (Smith, John)."""
    full_name = (full_name or "").strip()
    if not full_name:
        return "", ""
    if " " in full_name:
        given, _, surname = full_name.rpartition(" ")
        return surname, given
    surname_length = 2 if full_name[:2] in COMPOUND_SURNAMES and len(full_name) > 2 else 1
    return full_name[:surname_length], full_name[surname_length:]


def check_department_name(name: str) -> str:
    name = check_text((name or "").strip(), field="name")
    if not name:
        raise DomainError(_("部门名称不能为空。"), field="name")
    if len(name) > 64:
        raise DomainError(_("部门名称不能超过 64 个字符。"), field="name")
    if Department.objects.filter(name=name).exists():
        raise DomainError(_("已存在同名部门。"), field="name", code="duplicate")
    return name


def check_department_kind(kind: str) -> str:
    """客服中心 (service_centre) or 相关责任单位 (responsible)."""
    if kind not in Department.Kind.values:
        raise DomainError(
            _("部门类型必须是 %(choices)s 之一。") % {"choices": ", ".join(Department.Kind.values)},
            field="kind",
        )
    return kind


@transaction.atomic
def do_department_create(
    *, name: str, description: str = "", kind: str = Department.Kind.RESPONSIBLE
) -> Department:
    description = check_text((description or "").strip(), field="description", max_length=255)
    if len(description) > 255:
        raise DomainError(_("说明不能超过 255 个字符。"), field="description")
    return Department.objects.create(
        name=check_department_name(name), description=description, kind=check_department_kind(kind)
    )


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise DomainError(
            _("角色必须是 %(choices)s 之一。") % {"choices": ", ".join(Role.values)}, field="role"
        ) from None


@transaction.atomic
def do_user_create(
    *,
    username: str,
    password: str,
    role: str,
    department: Department | None = None,
    full_name: str = "",
    email: str = "",
    check_password_strength: bool = True,
) -> User:
    role_enum = check_role(role)
    username = check_text((username or "").strip(), field="username")
    full_name = check_text(full_name or "", field="full_name")
    if not username:
        raise DomainError(_("用户名不能为空。"), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("用户名已被使用。"), field="username", code="duplicate")
    if role_enum == Role.HANDLER and department is None:
        raise DomainError(_("责任部门处理人必须属于一个部门。"), field="department")
    if len(username) > 150:
        raise DomainError(_("用户名不能超过 150 个字符。"), field="username")
    if len(full_name or "") > 150:
        raise DomainError(_("姓名不能超过 150 个字符。"), field="full_name")
    user = User(username=username, email=email, department=department)
    user.last_name, user.first_name = split_full_name(full_name)
    if check_password_strength:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    user.is_staff = role_enum == Role.ADMIN
    user.is_superuser = role_enum == Role.ADMIN
    user.save()
    group = Group.objects.filter(name=role_enum.value).first()
    if group is None:  # e.g. a database migrated before the roles existed
        ensure_role_groups()
        group = Group.objects.get(name=role_enum.value)
    user.groups.set([group])
    return user


@transaction.atomic
def do_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token and return it with the raw secret, which is shown only this once."""
    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=hash_token(raw), key_prefix=raw[: ApiToken.PREFIX_LENGTH]
    )
    return token, raw


def access_tokens_matching(text: str) -> list[ApiToken]:
    """Tokens `text` names: the whole secret, or the start of its shown prefix (ht_AbC…)."""
    text = (text or "").strip().rstrip("…")
    if not text:
        return []
    whole = list(ApiToken.objects.filter(key_hash=hash_token(text)))
    if whole:
        return whole
    if len(text) > ApiToken.PREFIX_LENGTH:
        return []  # longer than any stored prefix and not a token's secret
    return list(ApiToken.objects.filter(key_prefix__startswith=text))


def do_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def access_user_by_token(raw: str, *, request: HttpRequest | None = None) -> User | None:
    """The active user a bearer token belongs to, or None; marks the token as used.

    With the request, bad tokens count against the client's address, and an address that has
    guessed too many is refused (the response becomes 429 with Retry-After, see `lockout`)."""
    if request is not None and not check_token_attempt_allowed(request):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__department")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        if request is not None:
            record_token_failure(request)
        return None
    now = timezone.now()
    # Touch at most once a minute: avoids a write on every API call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
