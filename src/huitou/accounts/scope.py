"""Department scope: the one visibility rule every selector and check uses.

Staff with `tickets.view_all_tickets` (the desk, supervisors, management) see every
department's work; everyone else (department handlers) sees only their own department's.
Someone outside every department without that permission sees nothing."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

SEE_ALL_DEPARTMENTS = "tickets.view_all_tickets"


def sees_all_departments(actor) -> bool:
    return actor.has_perm(SEE_ALL_DEPARTMENTS)


def in_department_scope(actor, department_id: int | None) -> bool:
    """Whether work owned by `department_id` is visible to `actor`."""
    if sees_all_departments(actor):
        return True
    return department_id is not None and department_id == actor.department_id


def scope_to_department(queryset: QuerySet, actor, *, field: str = "department") -> QuerySet:
    """`queryset` narrowed to what `actor` may see; `field` is the path to the department."""
    if sees_all_departments(actor):
        return queryset
    if actor.department_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": actor.department_id})


def check_department_scope(actor, department_id: int | None, *, message: str = "") -> None:
    if not in_department_scope(actor, department_id):
        raise PermissionDenied(message or _("该工单不属于您的部门。"))
