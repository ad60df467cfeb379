"""The FAQ bot: answer, ask which question is meant, or hand off to a person, never invent.

A hand-off files a chat ticket whose thread holds the conversation, each turn once; routing
then queues it for an agent. A conversation hands off once: later turns join that ticket.

Who the ticket is for: a signed-in portal customer's hand-off goes under their own record
with the contact they signed in with (proven). An anonymous visitor must leave a name and a
phone or e-mail first (`contact_required`): like a guest web ticket, that contact proves
nothing, so the ticket goes under a bare visitor record (reused for the same browser, never
an existing customer's) with the contact unverified, until the visitor proves it with a code
(.verification), which moves the ticket to the customer the contact belongs to."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.accounts.services import do_user_create
from huitou.core.errors import DomainError, check_text
from huitou.customers.models import Customer
from huitou.customers.services import check_customer_fields, do_customer_create
from huitou.tickets.models import ContactStatus, Message
from huitou.tickets.services import do_customer_message_add, do_ticket_create

from .engine import SearchResult, current_index
from .models import BotConversation, BotTurn, FaqEntry
from .text import normalise
from .triage import triage

# The English words are for the English help centre, whose greeting names them.
HUMAN_REQUESTS = (
    "转人工",
    "人工客服",
    "人工服务",
    "找人工",
    "真人",
    "人工",
    "human",
    "real person",
)
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


@dataclass(frozen=True)
class HandOffContact:
    """Who a hand-off ticket is answered to. `verified`: the contact was proven (a portal
    sign-in), not merely typed into the chat."""

    name: str
    phone: str = ""
    email: str = ""
    verified: bool = False


def check_hand_off_contact(*, name: str = "", phone: str = "", email: str = "") -> HandOffContact:
    """The guest web form's rules: a name, and a valid phone or e-mail (at least one)."""
    name = check_text((name or "").strip(), field="name", max_length=100)
    if not name:
        raise DomainError(
            _("请填写您的称呼，以便人工客服答复您。"), field="name", code="contact_required"
        )
    contact = check_customer_fields({"phone": phone or "", "email": email or ""})
    if not (contact["phone"] or contact["email"]):
        raise DomainError(
            _("请留下联系电话或电子邮箱，以便人工客服答复您。"),
            field="contact",
            code="contact_required",
        )
    return HandOffContact(name=name, phone=contact["phone"], email=contact["email"])


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
    customer: Customer | None = None,
    contact: HandOffContact | None = None,
    contact_required: bool = False,
    visitor: Customer | None = None,
    ticket_channel: str = "chat",
) -> dict:
    """One question. `hand_off_guard` is called before a new hand-off files a ticket; what it
    raises (a rate limit) undoes the whole question.

    A new hand-off is filed under `customer` (a signed-in customer; `contact` is then theirs,
    verified), else under `visitor` when it is still a bare visitor record (the same
    browser's earlier hand-off), else under a new visitor record. With `contact_required`
    (the public API) an anonymous hand-off without a valid `contact` is a DomainError
    (field name or contact) and nothing of the question is kept. The result's `ticket` is
    the conversation's ticket, `new_ticket` whether this question filed it.

    Once a conversation has handed off, a person has it: the bot never answers there again,
    and each question is the customer's next message on the ticket."""
    question = check_text((question or "").strip(), field="question", max_length=500)
    if not question:
        raise DomainError(_("请输入问题。"), field="question")
    talk = _conversation(conversation)
    if talk.ticket_id is not None:
        return _to_person(talk, question)
    new_ticket = False
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
    said = text
    if result.decision == "clarify":  # the record (and a hand-off's thread) keeps the choices
        said = "\n".join(
            [text, *(f"{n}. {c.question}" for n, c in enumerate(result.candidates[:4], 1))]
        )
    turn = BotTurn.objects.create(
        conversation=talk,
        question=question,
        decision=result.decision,
        entry=entry,
        answer=said,
        confidence=result.confidence,
    )
    if result.decision == "handoff":
        if contact_required and customer is None and contact is None:
            raise DomainError(
                _("请留下您的称呼和联系方式，以便人工客服答复您。"),
                field="contact",
                code="contact_required",
            )
        if hand_off_guard is not None:
            hand_off_guard()
        _hand_off(
            talk,
            reason=reason,
            customer=customer,
            contact=contact,
            visitor=visitor,
            channel=ticket_channel,
        )
        new_ticket = True
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
        "ticket": talk.ticket,
        "new_ticket": new_ticket,
    }


def _to_person(talk: BotConversation, question: str) -> dict:
    """A handed-off conversation: the words go to the ticket, to the person, not the bot."""
    do_customer_message_add(ticket=talk.ticket, body=question)
    talk.save(update_fields=["last_at"])
    return {
        "answer": None,
        "faq_id": None,
        "faq_question": None,
        "confidence": 0.0,
        "handoff": True,
        "suggestions": [],
        "conversation": str(talk.token),
        "ticket": talk.ticket,
        "new_ticket": False,
    }


def _bare_visitor(visitor: Customer | None) -> Customer | None:
    """An earlier visitor record worth reusing: live and still without a contact of its own
    (one that took a proven contact is somebody's record now, and an unproven hand-off must
    never be filed under it)."""
    if visitor is None or visitor.merged_into_id or visitor.phone or visitor.email:
        return None
    return visitor


def _hand_off(
    talk: BotConversation,
    *,
    reason: str,
    customer: Customer | None = None,
    contact: HandOffContact | None = None,
    visitor: Customer | None = None,
    channel: str = "chat",
) -> None:
    """File the chat as a ticket for a person, its turns in the ticket's thread."""
    # The entry answered just before counts a hand-off: it did not help.
    last_answer = talk.turns.filter(decision="answer").order_by("-id").first()
    if last_answer is not None and last_answer.entry_id:
        FaqEntry.objects.filter(pk=last_answer.entry_id).update(handoffs=F("handoffs") + 1)
    robot = bot_user()
    first = talk.turns.order_by("id").first()
    if customer is None:
        anonymous = _("在线访客 %(code)s") % {"code": str(talk.token)[:8]}
        customer = _bare_visitor(visitor) or do_customer_create(
            actor=robot, name=contact.name if contact else anonymous
        )
    if contact is None:
        status = ContactStatus.STAFF
    elif contact.verified:
        status = ContactStatus.VERIFIED
    else:
        status = ContactStatus.UNVERIFIED
    mood = triage(" ".join(talk.turns.values_list("question", flat=True)))
    talk.ticket = do_ticket_create(
        actor=robot,
        customer=customer,
        channel=channel,
        type=mood.type,
        priority=mood.priority,
        subject=_("在线咨询：%(question)s") % {"question": first.question[:40]},
        description=_("智能客服会话 %(code)s 转人工，对话逐条见沟通记录。")
        % {"code": str(talk.token)[:8]},
        contact_name=contact.name if contact else "",
        contact_phone=contact.phone if contact else "",
        contact_email=contact.email if contact else "",
        contact_status=status,
    )
    talk.status = BotConversation.Status.HANDED_OFF
    talk.handoff_reason = reason
    talk.save(update_fields=["ticket", "status", "handoff_reason"])
    _post_turns(talk)


def _post_turns(talk: BotConversation) -> None:
    """Copy the bot's conversation into the new ticket's thread, each turn once: the
    customer's question as the customer's message, the bot's reply as the bot's. Each
    message is one turn, so a long chat never makes a message too long to file. A new
    ticket has no status or SLA to move yet, so these are plain rows."""
    robot = bot_user()
    turns = list(talk.turns.filter(in_ticket=False).order_by("id"))
    for turn in turns:
        Message.objects.create(
            ticket=talk.ticket, sender=Message.Sender.CUSTOMER, public=True, body=turn.question
        )
        if turn.answer:
            Message.objects.create(
                ticket=talk.ticket,
                author=robot,
                sender=Message.Sender.SYSTEM,
                public=True,
                body=turn.answer,
            )
    BotTurn.objects.filter(pk__in=[turn.pk for turn in turns]).update(in_ticket=True)
