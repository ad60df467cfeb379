"""/api/v1/bot and /api/v1/kb: the FAQ bot (no login: customers use it) and FAQ search."""

from functools import partial

from ninja import Router, Schema

from huitou.core.ratelimit import RateLimited, check_rate_limit
from huitou.core.schemas import Text

from .bot import do_bot_ask

router = Router(tags=["bot"])


class AskIn(Schema):
    question: Text(500)
    conversation: Text(64) | None = None


class SuggestionOut(Schema):
    faq_id: int
    question: str
    score: float


class AskOut(Schema):
    answer: str | None
    faq_id: int | None
    faq_question: str | None
    confidence: float
    handoff: bool
    suggestions: list[SuggestionOut]
    conversation: str | None


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
    always reaches a person; a conversation hands off once, later questions join its ticket.

    Rate-limited per client and in all (HUITOU_RATE_LIMITS "bot_ask"; a new hand-off also
    "bot_handoff"): 429 with Retry-After. A client over its own limit gets a `challenge`:
    find `solution` such that sha256("<challenge>:<solution>") starts with `difficulty` zero
    bits, and resend with headers X-Huitou-PoW-Challenge and X-Huitou-PoW-Solution."""
    try:
        check_rate_limit(request, "bot_ask")
        return do_bot_ask(
            question=payload.question,
            conversation=payload.conversation,
            hand_off_guard=partial(check_rate_limit, request, "bot_handoff"),
        )
    except RateLimited as limited:
        return limited.response(request, api=True)
