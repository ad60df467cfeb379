"""What the portal holds of a customer: the sign-in codes sent to their e-mail or phone
(customers.holders). An erasure deletes them: a code is worth nothing once used or expired,
and its destination is the person's contact."""

from huitou.customers.holders import PersonalDataHolder, register_holder
from huitou.customers.models import Customer

from .models import SignInCode


def export(customer: Customer) -> list[dict]:
    """When and where codes were sent (never the codes themselves, which are stored hashed)."""
    return list(
        SignInCode.objects.filter(customer=customer)
        .order_by("created_at", "pk")
        .values("channel", "destination", "created_at", "used_at")
    )


def do_sign_in_codes_erase(*, actor, customer: Customer) -> int:
    deleted, _by_model = SignInCode.objects.filter(customer=customer).delete()
    return deleted


def register() -> None:
    register_holder(
        PersonalDataHolder(name="portal_sign_in", export=export, erase=do_sign_in_codes_erase)
    )
