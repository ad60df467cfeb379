from django.db.models import QuerySet

from huitou.core.permissions import check_permission

from .models import Department, User
from .roles import Role


def department_list(*, user) -> QuerySet[Department]:
    check_permission(user, "accounts.view_department")
    return Department.objects.order_by("name")


def user_list(*, user) -> QuerySet[User]:
    check_permission(user, "accounts.view_user")
    return User.objects.select_related("department").prefetch_related("groups").order_by("username")


# Roles offered when a ticket is assigned or transferred. (Admins may still hold one that
# was given to them; they are not offered.)
OFFERED_ROLES = [Role.AGENT, Role.SUPERVISOR, Role.HANDLER]


def assignable_agents(*, department: Department | None = None) -> QuerySet[User]:
    """The people a ticket may be offered to, wherever assignees or transfer targets are
    listed: active, a role that takes tickets, and a person, not a service account such as
    the FAQ bot (which files tickets as an agent but never works one)."""
    users = User.objects.filter(
        is_active=True,
        is_service_account=False,
        groups__name__in=[role.value for role in OFFERED_ROLES],
    ).distinct()
    if department is not None:
        users = users.filter(department=department)
    return users.select_related("department").prefetch_related("groups").order_by("username")
