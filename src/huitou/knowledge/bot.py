"""The FAQ bot: answer, ask which question is meant, or hand off to a person, never invent.

A hand-off files a chat ticket whose thread holds the conversation, each turn once; routing
then queues it for an agent. A conversation hands off once: later turns join that ticket."""

import uuid
from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.accounts.services import do_user_create
from huitou.core.errors import DomainError, check_text
from huitou.customers.services import do_customer_create
from huitou.tickets.models import Message
from huitou.tickets.services import do_customer_message_add, do_ticket_create

from .engine import SearchResult, current_index
from .models import BotConversation, BotTurn, FaqEntry
from .text import normalise
from .triage import triage

HUMAN_REQUESTS = ("转人工", "人工客服", "人工服务", "找人工", "真人", "人工")
BOT_USERNAME = "huitou-bot"


def bot_user():
    """The service account the bot files customers and tickets as (it cannot log in)."""
    user = User.objects.filter(username=BOT_USERNAME).first()
    if user is None:
        user = do_user_create(
            username=BOT_USERNAME,
            password=uuid.uuid4().hex,
            role=Role.AGENT,
            full_name="智能客服",
            check_password_strength=False,
        )
        user.set_unusable_password()
        user.is_service_account = True
        user.save(update_fields=["password", "is_service_account"])
    elif not user.is_service_account:  # a bot made before the flag existed
        user.is_service_account = True
        user.save(update_fields=["is_service_account"])
    return user


def wants_a_person(question: str) -> bool:
    text = normalise(question).replace(" ", "")
    return any(word in text for word in HUMAN_REQUESTS) and len(text) <= 12


def _conversation(token: str | None) -> BotConversation:
    if token:
        try:
            parsed = uuid.UUID(str(token))
        except ValueError:
            raise DomainError(_("会话标识无效。"), field="conversation") from None
        conversation = BotConversation.objects.select_for_update().filter(token=parsed).first()
        if conversation is None:
            raise DomainError(_("会话不存在或已过期。"), field="conversation")
        return conversation
    return BotConversation.objects.create(token=uuid.uuid4())


@transaction.atomic
def do_bot_ask(
    *,
    question: str,
    conversation: str | None = None,
    hand_off_guard: Callable[[], None] | None = None,
) -> dict:
    """One question. `hand_off_guard` is called before a new hand-off files a ticket; what it
    raises (a rate limit) undoes the whole question."""
    question = check_text((question or "").strip(), field="question", max_length=500)
    if not question:
        raise DomainError(_("请输入问题。"), field="question")
    talk = _conversation(conversation)
    mood = triage(question, recent_contacts=talk.turns.count() // 3)
    if wants_a_person(question):
        result, reason = SearchResult(decision="handoff"), "customer_request"
    elif mood.angry:  # an angry customer goes to a person, not to another FAQ answer
        result, reason = SearchResult(decision="handoff"), "angry"
    else:
        result = current_index().search(question, channel=FaqEntry.Channel.CHAT)
        reason = "no_answer" if result.decision == "handoff" else ""
    top = result.candidates[0] if result.candidates else None
    entry = None
    if result.decision == "answer" and top is not None:
        entry = FaqEntry.objects.filter(pk=top.entry_id).first()
        if entry is None:  # deleted since the index was built
            result, reason = SearchResult(decision="handoff"), "no_answer"
    if result.decision == "answer":
        text = entry.answer
        FaqEntry.objects.filter(pk=entry.pk).update(times_served=F("times_served") + 1)
    elif result.decision == "clarify":
        text = _("我不太确定您问的是哪一个，您是想问：")
    elif reason == "angry":
        text = _("非常抱歉给您带来不好的体验，马上为您转接人工客服。")
    else:
        text = _("这个问题我先为您转接人工客服，请稍候。")
    turn = BotTurn.objects.create(
        conversation=talk,
        question=question,
        decision=result.decision,
        entry=entry,
        answer=text,
        confidence=result.confidence,
    )
    if talk.ticket is not None:  # handed off before: this turn joins that ticket
        if result.decision == "handoff":
            turn.answer = text = _("您的对话已转给人工客服，请稍候，客服会尽快回复您。")
            turn.save(update_fields=["answer"])
        _post_turns(talk)
    elif result.decision == "handoff":
        if hand_off_guard is not None:
            hand_off_guard()
        _hand_off(talk, reason=reason)
    if result.decision == "handoff":
        text = turn.answer + (
            _("（工单号 %(number)s）") % {"number": talk.ticket.number} if talk.ticket else ""
        )
    talk.save(update_fields=["last_at"])
    return {
        "answer": text,
        "faq_id": entry.pk if entry else None,
        "faq_question": entry.question if entry else None,
        "confidence": result.confidence,
        "handoff": result.decision == "handoff",
        "suggestions": [
            {"faq_id": c.entry_id, "question": c.question, "score": c.score}
            for c in result.candidates[:4]
        ]
        if result.decision == "clarify"
        else [],
        "conversation": str(talk.token),
    }


def _hand_off(talk: BotConversation, *, reason: str) -> None:
    """File the chat as a ticket for a person, its turns in the ticket's thread."""
    # The entry answered just before counts a hand-off: it did not help.
    last_answer = talk.turns.filter(decision="answer").order_by("-id").first()
    if last_answer is not None and last_answer.entry_id:
        FaqEntry.objects.filter(pk=last_answer.entry_id).update(handoffs=F("handoffs") + 1)
    robot = bot_user()
    first = talk.turns.order_by("id").first()
    customer = do_customer_create(
        actor=robot, name=_("在线访客 %(code)s") % {"code": str(talk.token)[:8]}
    )
    mood = triage(" ".join(talk.turns.values_list("question", flat=True)))
    talk.ticket = do_ticket_create(
        actor=robot,
        customer=customer,
        channel="chat",
        type=mood.type,
        priority=mood.priority,
        subject=_("在线咨询：%(question)s") % {"question": first.question[:40]},
        description=_("智能客服会话 %(code)s 转人工，对话逐条见沟通记录。")
        % {"code": str(talk.token)[:8]},
    )
    talk.status = BotConversation.Status.HANDED_OFF
    talk.handoff_reason = reason
    talk.save(update_fields=["ticket", "status", "handoff_reason"])
    _post_turns(talk, new_ticket=True)


def _post_turns(talk: BotConversation, *, new_ticket: bool = False) -> None:
    """Add the turns not yet in the ticket's thread, each once: the customer's question as
    the customer's message, the bot's reply as the bot's. Each message is one turn, so a
    long chat never makes a message too long to file."""
    robot = bot_user()
    turns = list(talk.turns.filter(in_ticket=False).order_by("id"))
    for turn in turns:
        if new_ticket:  # a new ticket: no status or SLA to move yet
            Message.objects.create(
                ticket=talk.ticket, sender=Message.Sender.CUSTOMER, public=True, body=turn.question
            )
        else:
            do_customer_message_add(ticket=talk.ticket, body=turn.question)
        if turn.answer:
            Message.objects.create(
                ticket=talk.ticket,
                author=robot,
                sender=Message.Sender.SYSTEM,
                public=True,
                body=turn.answer,
            )
    BotTurn.objects.filter(pk__in=[turn.pk for turn in turns]).update(in_ticket=True)
