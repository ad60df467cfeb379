"""Knowledge's panel on the ticket page: FAQ answers that fit the ticket, in every reply box."""

from huitou.tickets.panels import register_panel

from .portal import agent_suggestions


def faq_assist_context(request, ticket, bound) -> dict | None:
    suggestions = agent_suggestions(ticket)
    return {"faq_suggestions": suggestions} if suggestions else None


register_panel(
    name="faq_assist",
    template="knowledge/_faq_assist.html",
    context=faq_assist_context,
    permission="tickets.add_message",  # only those who write in the reply box
)
