"""{% personal customer "phone" %}: a phone, e-mail or ID number as the viewer may see it.

Full for the desk and admins; masked (138****8000) for everyone else, with a button that
reveals it (an htmx POST, recorded) for those allowed to.
"""

from django import template
from django.template.loader import render_to_string

from huitou.customers.privacy import can_reveal, mask_value, sees_personal_data

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context, customer, kind: str, value=None):
    """`value` defaults to the customer's own field (a ticket passes its contact copy). The
    reveal button reveals the customer's field, so it is offered only when that is the value
    shown."""
    own = getattr(customer, kind, "")
    value = own if value is None else value
    request = context.get("request")
    user = getattr(request, "user", None)
    if not value:
        return "—"
    full = sees_personal_data(user)
    return render_to_string(
        "customers/_personal_value.html",
        {
            "customer": customer,
            "kind": kind,
            "value": value if full else mask_value(kind, value),
            "masked": not full,
            "revealable": not full and value == own and can_reveal(user) and customer.pk,
        },
    )
