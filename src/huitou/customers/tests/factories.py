"""Customers are made through the service, as in production: numbered, with their first
tier change and audit entry, and a lost customer has its reason."""

import factory

from huitou.accounts.tests.factories import desk_user
from huitou.customers.models import Customer
from huitou.customers.services import do_customer_create

# Not editable through the service: the sweeps set them. Tests set them after creation.
SWEPT_FIELDS = ("loss_risk_since", "lost_at", "created_at", "updated_at")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    tier = "C"
    stage = "current"

    @classmethod
    def _create(cls, model_class, *args, actor=None, **kwargs):
        later = {field: kwargs.pop(field) for field in SWEPT_FIELDS if field in kwargs}
        customer = do_customer_create(actor=actor or desk_user(), **kwargs)
        if later:
            # Past times and the sweeps' marks: no service sets them on demand.
            Customer.objects.filter(pk=customer.pk).update(**later)
            customer.refresh_from_db()
        return customer


def legacy_customer(**unchecked) -> Customer:
    """A customer whose `unchecked` fields hold what the service now refuses (a phone like
    "1351234"): data kept from before the checks, which the cleansing report exists to
    find. The only factory state no service reaches, so tests ask for it by name."""
    customer = CustomerFactory()
    Customer.objects.filter(pk=customer.pk).update(**unchecked)
    customer.refresh_from_db()
    return customer
