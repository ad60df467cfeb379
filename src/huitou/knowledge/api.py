"""/api/v1/bot and /api/v1/kb: the FAQ bot (no login: customers use it) and FAQ search."""

from ninja import Field, Router, Schema

from .bot import do_bot_ask

router = Router(tags=["bot"])


class AskIn(Schema):
    question: str = Field(..., max_length=500)
    conversation: str | None = Field(None, max_length=64)


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


@router.post("/ask", response=AskOut, auth=None, url_name="bot_ask")
def bot_ask(request, payload: AskIn):
    """Ask the bot. Three outcomes: an answer (faq_id set), a clarification (2–4
    suggestions), or a hand-off to a person (a ticket with the conversation). Send the
    returned `conversation` with the next question to keep them together; 人工 / 转人工
    always reaches a person."""
    return do_bot_ask(question=payload.question, conversation=payload.conversation)
