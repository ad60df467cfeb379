from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def check_permission(user, perm: str) -> None:
    """Raise PermissionDenied unless `user` holds the model permission `perm`."""
    if not (user and user.is_authenticated and user.has_perm(perm)):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def check_admin(user) -> None:
    # The admin role, which core (below accounts) knows only through the user.
    if not (user and user.is_authenticated and getattr(user, "has_admin_role", False)):
        raise PermissionDenied(_("只有管理员可以执行此操作。"))
