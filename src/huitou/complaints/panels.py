"""Complaints' panel on the ticket page: the complaint's state, timeline and the steps this
user may take, each a form posting to complaints.views.complaint_action_view."""

from huitou.accounts.scope import in_department_scope
from huitou.tickets.models import TicketType
from huitou.tickets.panels import register_panel

from .major import THREE_CHANGES, THREE_DONTS
from .models import CallbackTask, Complaint
from .selectors import access_complaint
from .views import ACTIONS, action_form, complaint_draft_forms
from .workflow import allowed_actions

# The flow's steps in the order the panel offers them, each with who may take it.
FLOW_ACTIONS = [
    ("answer", "handle"),
    ("dispatch", "handle"),
    ("accept", "process"),
    ("result", "process"),
    ("reply", "handle"),
    ("callback", "handle"),
    ("reopen", "handle"),
]


def complaint_flow_context(request, ticket, bound: dict | None) -> dict | None:
    """Shown on complaint tickets; `bound`: a refused step's form from the action view,
    else the one kept in the session by the last refused POST (shown once)."""
    if ticket.type != TicketType.COMPLAINT or not Complaint.objects.filter(pk=ticket.pk).exists():
        return None
    if bound is None:
        bound = complaint_draft_forms(request, Complaint.objects.get(pk=ticket.pk))
    return complaint_panel_context(request, ticket, bound)


def complaint_panel_context(request, ticket, bound: dict | None = None) -> dict:
    """What the ticket page shows of a complaint: state, timeline, the user's actions."""
    complaint = access_complaint(user=request.user, ticket_id=ticket.pk)
    user = request.user
    bound = bound or {}
    can = {
        "handle": user.has_perm("complaints.handle_complaint"),
        # The department it was dispatched to; supervisors, who see every department, help.
        "process": user.has_perm("complaints.process_dispatch")
        and in_department_scope(user, complaint.department_id),
        "score": user.has_perm("complaints.score_dispatch") and complaint.first_dispatched_at,
    }
    allowed = set(allowed_actions(complaint.state))
    # A refused step stays on screen with its reason, even when the state does not allow it.
    shown = [
        name
        for name, who in FLOW_ACTIONS
        if (name in allowed and can[who]) or (name in bound and bound[name].errors)
    ]
    forms = {name: bound.get(name) or action_form(name, complaint) for name in ACTIONS}
    return {
        "complaint": complaint,
        "complaint_forms": forms,
        "complaint_actions": shown,
        "complaint_can": can,
        "three_changes": THREE_CHANGES,
        "three_donts": THREE_DONTS,
        "open_callback": next(
            (t for t in complaint.callbacks.all() if t.status == CallbackTask.Status.OPEN), None
        ),
    }


register_panel(
    name="complaint_flow",
    template="complaints/_panel.html",
    context=complaint_flow_context,
    forms_key="complaint_forms",
)
