"""/api/v1/bot and /api/v1/kb: the FAQ bot (no login: customers use it) and FAQ search."""

from functools import partial

from django.urls import reverse
from ninja import Router, Schema

from huitou.chat.selectors import customer_socket_path, customer_token, state_frame
from huitou.chat.services import do_chat_ask
from huitou.core.ratelimit import RateLimited, check_rate_limit
from huitou.core.schemas import Text
from huitou.customers.models import Customer
from huitou.portal.models import SignInCode
from huitou.portal.selectors import session_scope
from huitou.portal.services import do_guest_link_send, guest_path

from .bot import HandOffContact, check_hand_off_contact
from .verify_views import done_context

# The visitor record this browser's last anonymous hand-off was filed under, so the next
# one (another conversation, the same session) does not make another record.
VISITOR_SESSION_KEY = "huitou_bot_visitor"

router = Router(tags=["bot"])


class AskIn(Schema):
    question: Text(500)
    conversation: Text(64) | None = None
    # Asked for at an anonymous hand-off (a 422 on field name / contact says when).
    name: Text(100) | None = None
    phone: Text(32) | None = None
    email: Text(254) | None = None


class SuggestionOut(Schema):
    faq_id: int
    question: str
    score: float


class LiveOut(Schema):
    """The live chat a hand-off opened: connect a WebSocket to `ws` (same origin). `token`
    is what it needs (already in `ws`). `state`: waiting (queue `position`, estimated
    `wait_seconds`), active (an agent has it), offline (nobody can answer live now:
    `reason` after_hours / nobody_on_duty; what the customer writes is answered later)."""

    ws: str
    token: str
    state: str
    reason: str = ""
    agent: str | None = None
    position: int | None = None
    wait_seconds: int | None = None


class AskOut(Schema):
    answer: str | None
    faq_id: int | None
    faq_question: str | None
    confidence: float
    handoff: bool
    suggestions: list[SuggestionOut]
    conversation: str | None
    ticket_number: str | None = None
    ticket_url: str | None = None  # the guest's private page (or the signed-in one's own)
    verify_url: str | None = None  # prove the contact with a code (anonymous hand-offs)
    live: LiveOut | None = None  # after a hand-off: the live chat with a person


class PowChallengeOut(Schema):
    challenge: str
    difficulty: int
    algorithm: str


class RateLimitedOut(Schema):
    detail: str
    challenge: PowChallengeOut | None = None


@router.post("/ask", response={200: AskOut, 429: RateLimitedOut}, auth=None, url_name="bot_ask")
def bot_ask(request, payload: AskIn):
    """Ask the bot. Three outcomes: an answer (faq_id set), a clarification (2–4
    suggestions), or a hand-off to a person (a ticket with the conversation). Send the
    returned `conversation` with the next question to keep them together; 人工 / 转人工
    always reaches a person; a conversation hands off once. After it, a person has the
    conversation: the bot never answers there again (handoff true, no answer), each question
    is the customer's next message on the ticket, and `live` says how to chat with the person
    over a WebSocket (frames: README "Live chat").

    Rate-limited per client and in all (HUITOU_RATE_LIMITS "bot_ask"; a new hand-off also
    "bot_handoff"): 429 with Retry-After. A client over its own limit gets a `challenge`:
    find `solution` such that sha256("<challenge>:<solution>") starts with `difficulty` zero
    bits, and resend with headers X-Huitou-PoW-Challenge and X-Huitou-PoW-Solution."""
    try:
        check_rate_limit(request, "bot_ask")
        customer, contact = _who(request, payload)
        reply, session = do_chat_ask(
            question=payload.question,
            conversation=payload.conversation,
            hand_off_guard=partial(check_rate_limit, request, "bot_handoff"),
            customer=customer,
            contact=contact,
            contact_required=True,
            visitor=_session_visitor(request) if customer is None else None,
        )
    except RateLimited as limited:
        return limited.response(request, api=True)
    ticket, new_ticket = reply.pop("ticket"), reply.pop("new_ticket")
    if ticket is None or not reply["handoff"]:
        return reply
    if session is not None:
        reply["live"] = _live(session)
    if customer is not None:
        return {**reply, "ticket_number": ticket.number, "ticket_url": _own_url(ticket, customer)}
    url = request.build_absolute_uri(guest_path(ticket))
    if new_ticket:  # the guest's private link, e-mailed when they left an address
        request.session[VISITOR_SESSION_KEY] = ticket.customer_id
        do_guest_link_send(ticket=ticket, url=url)
    verify = done_context(ticket)["verify_url"]
    return {**reply, "ticket_number": ticket.number, "ticket_url": url, "verify_url": verify}


def _live(session) -> dict:
    state = state_frame(session)
    return {
        "ws": customer_socket_path(session),
        "token": customer_token(session),
        "state": state["state"],
        "reason": state["reason"],
        "agent": state["agent"],
        "position": state.get("position"),
        "wait_seconds": state.get("wait_seconds"),
    }


def _who(request, payload: AskIn) -> tuple[Customer | None, HandOffContact | None]:
    """A signed-in portal customer and their proven contact; else what the visitor typed
    (checked only when they typed something: the hand-off asks for it when it is needed)."""
    scope = session_scope(request.session)
    if scope is not None:
        customer = Customer.objects.get(pk=scope.customer_id)
        email = scope.destination if scope.channel == SignInCode.Channel.EMAIL else ""
        phone = scope.destination if scope.channel == SignInCode.Channel.SMS else ""
        contact = HandOffContact(name=customer.name, phone=phone, email=email, verified=True)
        return customer, contact
    if not (payload.name or payload.phone or payload.email):
        return None, None
    return None, check_hand_off_contact(
        name=payload.name or "", phone=payload.phone or "", email=payload.email or ""
    )


def _session_visitor(request) -> Customer | None:
    pk = request.session.get(VISITOR_SESSION_KEY)
    return Customer.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def _own_url(ticket, customer: Customer) -> str | None:
    """The signed-in customer's page of the ticket (it may have moved to another record)."""
    if ticket.customer_id != customer.pk:
        return None
    return reverse("portal:ticket", args=[ticket.pk])
