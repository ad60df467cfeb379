"""The complaint state machine [000, 客服中心投诉处理服务流程], as data.

received ─answer─▶ closed (first-contact resolution)
received ─dispatch─▶ dispatched ─accept─▶ accepted ─result─▶ returned ─reply─▶ replied
replied ─callback─▶ closed (or back to received when the customer is unsatisfied)
replied/closed ─reopen─▶ received;  dispatched/accepted/returned ─dispatch─▶ dispatched (改派)
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huitou.core.errors import ConflictError
from huitou.tickets.models import Status

from .models import State


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    hint: str  # what must happen first, for the error message


TRANSITIONS: dict[str, Transition] = {
    "answer": Transition(
        gettext_lazy("当即答复"),
        frozenset({State.RECEIVED}),
        State.CLOSED,
        gettext_lazy("只有刚受理、尚未派单的投诉可以当即答复"),
    ),
    "dispatch": Transition(
        gettext_lazy("派单"),
        frozenset({State.RECEIVED, State.DISPATCHED, State.ACCEPTED, State.RETURNED}),
        State.DISPATCHED,
        gettext_lazy("已答复或已结案的投诉需先重新打开"),
    ),
    "accept": Transition(
        gettext_lazy("接单"),
        frozenset({State.DISPATCHED}),
        State.ACCEPTED,
        gettext_lazy("只能接派给本部门、尚未接单的投诉"),
    ),
    "result": Transition(
        gettext_lazy("反馈处理结果"),
        frozenset({State.ACCEPTED}),
        State.RETURNED,
        gettext_lazy("责任部门需先接单"),
    ),
    "reply": Transition(
        gettext_lazy("答复客户"),
        frozenset({State.RETURNED}),
        State.REPLIED,
        gettext_lazy("需等责任部门反馈处理结果后再答复客户"),
    ),
    "callback": Transition(
        gettext_lazy("回访"),
        frozenset({State.REPLIED}),
        State.CLOSED,
        gettext_lazy("答复客户之后才能回访"),
    ),
    "reopen": Transition(
        gettext_lazy("重新打开"),
        frozenset({State.REPLIED, State.CLOSED}),
        State.RECEIVED,
        gettext_lazy("只有已答复或已结案的投诉可以重新打开"),
    ),
}

# The ticket status that mirrors each complaint state, so inboxes and reports agree.
TICKET_STATUS_FOR_STATE = {
    State.RECEIVED: Status.OPEN,
    State.DISPATCHED: Status.OPEN,
    State.ACCEPTED: Status.OPEN,
    State.RETURNED: Status.OPEN,
    State.REPLIED: Status.RESOLVED,
    State.CLOSED: Status.CLOSED,
}


def check_transition(state: str, action: str) -> Transition:
    """The transition `action` from `state`, or a 409 saying what must happen first."""
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        raise ConflictError(
            _("投诉当前为“%(state)s”，不能%(action)s：%(hint)s。")
            % {"state": State(state).label, "action": transition.label, "hint": transition.hint},
            field="state",
            code="illegal_transition",
        )
    return transition


def allowed_actions(state: str) -> list[str]:
    return [action for action, transition in TRANSITIONS.items() if state in transition.sources]
