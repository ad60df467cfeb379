from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from huitou.accounts.scope import scope_to_department, sees_all_departments
from huitou.core.errors import check_text
from huitou.core.permissions import check_permission

from .models import Customer
from .phones import phone_digits
from .qualification import qualification_filter


def _ticket_model():
    # Tickets depend on customers, not the reverse: reach Ticket through the reverse relation
    # its foreign key declares (as the `tickets__` lookups in mining.py do), not an import.
    return Customer._meta.get_field("tickets").related_model


def check_archive_cleansing(user) -> None:
    """Duplicates, merges, bulk import and export work on the whole archive: supervisors."""
    check_permission(user, "customers.cleanse_customers")


def check_whole_archive(user) -> None:
    """Figures over every customer (tier distribution): not for a department's handlers, who
    see only their own cases' customers."""
    check_permission(user, "customers.view_customer")
    if not sees_all_departments(user):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def visible_customers(*, user) -> QuerySet[Customer]:
    """Customers `user` may see: everyone for service staff, handlers only their cases'."""
    check_permission(user, "customers.view_customer")
    customers = Customer.objects.filter(merged_into__isnull=True)
    if sees_all_departments(user):
        return customers
    if user.department_id is None:
        return customers.none()
    # A customer is in a handler's scope through a ticket of their department.
    theirs = scope_to_department(_ticket_model().objects.filter(customer=OuterRef("pk")), user)
    return customers.filter(Exists(theirs))


def customer_list(
    *,
    user,
    q: str = "",
    tier: str = "",
    stage: str = "",
    kind: str = "",
    loss_risk: bool | None = None,
    qualification: str = "",
    tag: str = "",
) -> QuerySet[Customer]:
    customers = visible_customers(user=user)
    q = check_text((q or "").strip(), field="q", max_length=200)
    tag = check_text(tag or "", field="tag", max_length=64)
    if q:
        condition = Q(name__icontains=q) | Q(number__iexact=q) | Q(email__iexact=q)
        digits = phone_digits(q) if any(ch.isdigit() for ch in q) else ""
        if len(digits) >= 4:
            condition |= Q(phone_digits__contains=digits)
        customers = customers.filter(condition)
    if tier:
        customers = customers.filter(tier=tier)
    if stage:
        customers = customers.filter(stage=stage)
    if kind:
        customers = customers.filter(kind=kind)
    if loss_risk is not None:
        customers = customers.filter(loss_risk_since__isnull=not loss_risk)
    if tag:
        customers = customers.filter(tag_links__tag__name=tag)
    if qualification:
        customers = customers.filter(**qualification_filter(qualification))
    return customers.order_by("-created_at", "-id")


def access_customer(*, user, customer_id: int) -> Customer:
    try:
        return visible_customers(user=user).get(pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404(_("客户不存在。")) from None
