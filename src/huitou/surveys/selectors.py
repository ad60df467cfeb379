"""Reads of the contact rating: a ticket's satisfaction state, the follow-up list."""

from django.db.models import QuerySet
from django.utils import timezone

from huitou.accounts.scope import scope_to_department
from huitou.tickets.models import Ticket

from .models import FollowUp, Invitation, InviteState
from .rating import invitation_url

# Invitation state → what GET /api/v1/tickets/{id} says (`satisfaction.state`).
STATE_OF = {
    InviteState.SCHEDULED: "scheduled",
    InviteState.INVITED: "invited",
    InviteState.EXPIRED: "invited",  # asked, never answered; `expired` says the link is dead
    InviteState.ANSWERED: "answered",
}


def ticket_satisfaction(ticket: Ticket) -> dict:
    """{state: none | scheduled | invited | answered, rating, url, …} of one ticket."""
    invitation = (
        Invitation.objects.filter(kind=Invitation.Kind.CONTACT, ticket_id=ticket.pk)
        .select_related("response")
        .first()
    )
    if invitation is None or invitation.state == InviteState.SKIPPED:
        return {
            "state": "none",
            "rating": None,
            "url": None,
            "skipped": invitation.skip_reason if invitation is not None else None,
        }
    response = getattr(invitation, "response", None) if invitation.answered_at else None
    return {
        "state": STATE_OF[invitation.state],
        "rating": response.rating if response is not None else None,
        "comment": response.comment if response is not None else "",
        "reason": response.reason if response is not None else "",
        "url": invitation_url(invitation),
        "channel": invitation.channel,
        "due_at": invitation.due_at,
        "sent_at": invitation.sent_at,
        "answered_at": invitation.answered_at,
        "expires_at": invitation.expires_at,
        "expired": invitation.state == InviteState.EXPIRED,
    }


def follow_up_list(*, user, state: str = FollowUp.State.OPEN) -> QuerySet:
    """Low ratings to follow up, of the tickets the user may see."""
    rows = scope_to_department(FollowUp.objects.all(), user, field="response__department")
    rows = rows.select_related("response__ticket__customer", "response__agent", "done_by")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-pk")


def pending_ratings(*, customer_ids) -> list[dict]:
    """The contacts the portal customer was asked to rate and has not: 我的工单 offers them."""
    rows = (
        Invitation.objects.filter(
            kind=Invitation.Kind.CONTACT,
            customer_id__in=customer_ids,
            state=InviteState.INVITED,
            expires_at__gt=timezone.now(),
        )
        .select_related("ticket")
        .order_by("-sent_at", "-pk")[:20]
    )
    return [{"ticket": row.ticket, "url": invitation_url(row)} for row in rows]
