"""SLA's panels on the ticket page: the SLA card and the transfer form."""

from huitou.tickets.panels import register_panel

from .forms import TransferForm


def sla_card_context(request, ticket, bound) -> dict | None:
    # The card reads the ticket's SLA record itself (sla_of); a ticket without one has none.
    return {} if getattr(ticket, "sla", None) is not None else None


def transfer_context(request, ticket, bound) -> dict | None:
    """Supervisors transfer any ticket; an agent the ticket they hold."""
    user = request.user
    if not (
        user.has_perm("tickets.assign_ticket")
        or (ticket.assignee_id == user.pk and user.has_perm("tickets.change_ticket"))
    ):
        return None
    return {"transfer_form": bound or TransferForm(ticket=ticket)}


register_panel(name="sla", template="sla/_ticket_sla.html", context=sla_card_context)
register_panel(name="transfer", template="sla/_transfer_panel.html", context=transfer_context)
