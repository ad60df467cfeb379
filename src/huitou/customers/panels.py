"""Customers' panel on the ticket page: how to serve this customer's personality."""

from huitou.tickets.panels import register_panel

from .personality import service_guidance


def service_guidance_context(request, ticket, bound) -> dict:
    customer = ticket.customer
    return {
        "guidance": service_guidance(
            personality=customer.personality, listening_style=customer.listening_style
        )
    }


register_panel(
    name="service_guidance",
    template="customers/_service_guidance.html",
    context=service_guidance_context,
)
