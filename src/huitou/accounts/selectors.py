from django.db.models import QuerySet

from huitou.core.permissions import check_permission

from .models import Department, User


def department_list(*, user) -> QuerySet[Department]:
    check_permission(user, "accounts.view_department")
    return Department.objects.order_by("name")


def user_list(*, user) -> QuerySet[User]:
    check_permission(user, "accounts.view_user")
    return User.objects.select_related("department").prefetch_related("groups").order_by("username")


def assignable_agents(*, department: Department | None = None) -> QuerySet[User]:
    """Active staff who can own tickets: agents, supervisors and department handlers."""
    users = User.objects.filter(
        is_active=True, groups__name__in=["agent", "supervisor", "handler"]
    ).distinct()
    if department is not None:
        users = users.filter(department=department)
    return users.select_related("department").prefetch_related("groups").order_by("username")
