"""The rating after every contact (服务评价): invited when a ticket is resolved or a chat ends,
by the channel the customer used, answered once on the 5-level scale of [000] through a link
that needs no login.

When: the most specific SatisfactionRule for the ticket's channel and the customer's tier
(delay, sample rate, cool-down); with no rule, at once, everyone, at most once a week per
customer. Never for a customer merged into another, nor for a ticket closed without anyone
having answered it (spam, a duplicate). The invitation is made in the ticket's transaction
(one per ticket: a database constraint), so it exists exactly when the resolution does; a
chat's or e-mail's invitation due now goes out in that transaction too (a stored chat line,
an outbox row), anything else (SMS, a delay) waits for `do_contact_invites_send_due`.

A low rating (SatisfactionSettings.low_at_most) is a hidden complaint surfaced [003]: it
opens a FollowUp for the supervisors."""

import contextvars
import hashlib
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.chat.models import REPLY_WINDOW, ChatSession
from huitou.chat.services import system_notice
from huitou.core.errors import ConflictError, DomainError
from huitou.core.notifications import do_notify
from huitou.core.outbox import do_outbox_add
from huitou.notify.services import opted_out_channels, sms_enabled
from huitou.sms.models import Purpose as SmsPurpose
from huitou.sms.services import SmsError, send_sms
from huitou.tickets.models import Channel, ContactStatus, Message, Status, Ticket

from .answers import check_answers
from .models import (
    Answer,
    FollowUp,
    Invitation,
    InviteState,
    QuestionKind,
    Questionnaire,
    Response,
    SatisfactionRule,
    SatisfactionSettings,
)

logger = logging.getLogger(__name__)

DEFAULT_LABELS = ["很好", "好", "较好", "一般", "差"]
DEFAULT_LABELS_EN = ["Very good", "Good", "Fairly good", "Fair", "Poor"]
DEFAULT_REASONS = [
    {"value": "waiting", "label": "等待时间太长", "label_en": "I waited too long"},
    {"value": "unsolved", "label": "问题没有解决", "label_en": "My problem was not solved"},
    {"value": "attitude", "label": "服务态度不好", "label_en": "The staff were unfriendly"},
    {"value": "unclear", "label": "答复不清楚、不专业", "label_en": "The answer was unclear"},
    {"value": "transfers", "label": "被多次转接", "label_en": "I was passed around"},
    {"value": "other", "label": "其他", "label_en": "Something else"},
]
CHANGE_SALT = "huitou.surveys.rating.change"
OUTBOX_KIND = "survey"
COMMENT_LIMIT = 2000


class Skip:
    """Why a contact was not invited (Invitation.skip_reason)."""

    DISABLED = "disabled"
    SAMPLED_OUT = "sampled_out"
    COOLDOWN = "cooldown"
    MERGED = "merged"
    UNANSWERED = "unanswered"  # closed without a word to the customer: spam, a duplicate


@dataclass(frozen=True)
class Rule:
    enabled: bool = True
    delay_minutes: int = 0
    sample_percent: int = 100
    cooldown_days: int = 7
    questionnaire_id: int | None = None


_paused = contextvars.ContextVar("rating_invites_paused", default=False)


@contextmanager
def rating_invites_paused() -> Iterator[None]:
    """No invitations while loading historical data (the demo makes its own, back-dated)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


# --- settings and rules ----------------------------------------------------------------------
def rating_settings() -> SatisfactionSettings:
    """The one settings row, made with the defaults of [000] on first use."""
    row = SatisfactionSettings.objects.order_by("pk").first()
    if row is None:
        row = SatisfactionSettings.objects.create(
            labels=DEFAULT_LABELS, labels_en=DEFAULT_LABELS_EN, reasons=DEFAULT_REASONS
        )
    return row


def rating_labels(config: SatisfactionSettings, *, english: bool | None = None) -> list[dict]:
    """[{value: 5, label}, … {value: 1, label}] in the reader's language."""
    if english is None:
        english = (translation.get_language() or "").startswith("en")
    labels = (config.labels_en if english else config.labels) or config.labels or DEFAULT_LABELS
    return [{"value": 5 - index, "label": label} for index, label in enumerate(labels[:5])]


def reason_choices(config: SatisfactionSettings, *, english: bool | None = None) -> list[dict]:
    if english is None:
        english = (translation.get_language() or "").startswith("en")
    key = "label_en" if english else "label"
    return [
        {"value": item["value"], "label": item.get(key) or item["label"]}
        for item in config.reasons or DEFAULT_REASONS
    ]


def rule_for(*, channel: str, tier: str) -> Rule:
    """The most specific rule: channel and tier, channel, tier, any; else the defaults."""
    rules = {
        (row.channel, row.tier): row
        for row in SatisfactionRule.objects.filter(channel__in=[channel, ""], tier__in=[tier, ""])
    }
    for key in ((channel, tier), (channel, ""), ("", tier), ("", "")):
        row = rules.get(key)
        if row is not None:
            return Rule(
                enabled=row.enabled,
                delay_minutes=row.delay_minutes,
                sample_percent=row.sample_percent,
                cooldown_days=row.cooldown_days,
                questionnaire_id=row.questionnaire_id,
            )
    return Rule()


def in_sample(ticket: Ticket, percent: int) -> bool:
    """The same answer every time for the same ticket, so a retry never re-draws."""
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"rating:{ticket.number}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


# --- links -----------------------------------------------------------------------------------
def invitation_url(invitation: Invitation) -> str:
    """The customer's link: the rating page, or the questionnaire's answer page."""
    return settings.SITE_URL.rstrip("/") + reverse("survey_public:rate", args=[invitation.token])


def change_key(response: Response) -> str:
    """Proof, kept by the browser that answered, that it may change the answer."""
    return signing.dumps({"r": response.pk}, salt=CHANGE_SALT, compress=True)


def change_url(invitation: Invitation, response: Response) -> str:
    path = reverse("survey_public:rate", args=[invitation.token])
    return f"{settings.SITE_URL.rstrip('/')}{path}?change={change_key(response)}"


# --- invitations -----------------------------------------------------------------------------
def _reason_not_to_ask(ticket: Ticket, rule: Rule, now: datetime) -> str:
    if not rule.enabled:
        return Skip.DISABLED
    if ticket.customer.merged_into_id:
        return Skip.MERGED
    if ticket.status == Status.CLOSED and not _anyone_answered(ticket):
        return Skip.UNANSWERED
    if not in_sample(ticket, rule.sample_percent):
        return Skip.SAMPLED_OUT
    if rule.cooldown_days:
        since = now - timedelta(days=rule.cooldown_days)
        recent = Invitation.objects.filter(
            kind=Invitation.Kind.CONTACT,
            customer_id=ticket.customer_id,
            state__in=[InviteState.SCHEDULED, InviteState.INVITED, InviteState.ANSWERED],
            created_at__gte=since,
        ).exclude(ticket=ticket)
        if recent.exists():
            return Skip.COOLDOWN
    return ""


def _anyone_answered(ticket: Ticket) -> bool:
    return ticket.messages.filter(public=True, sender=Message.Sender.STAFF).exists()


def do_contact_invite(
    *, ticket: Ticket, now: datetime | None = None, in_chat: bool = True
) -> Invitation | None:
    """Invite the customer to rate this contact, once (the ticket is locked by the caller:
    tickets.funnel's TicketClosed, chat's ChatEnded). Sent at once when due now by a channel
    that is a stored record (e-mail, chat); else left for the worker. `in_chat` False: the
    system closed a chat the customer had left, so a line in it would reach nobody."""
    if _paused.get():
        return None
    now = now or timezone.now()
    existing = Invitation.objects.filter(kind=Invitation.Kind.CONTACT, ticket=ticket).first()
    if existing is not None:
        return existing
    rule = rule_for(channel=ticket.channel, tier=ticket.customer.tier)
    config = rating_settings()
    reason = _reason_not_to_ask(ticket, rule, now)
    due = now + timedelta(minutes=rule.delay_minutes)
    invitation = Invitation(
        kind=Invitation.Kind.CONTACT,
        token=secrets.token_urlsafe(24),
        state=InviteState.SKIPPED if reason else InviteState.SCHEDULED,
        skip_reason=reason,
        customer_id=ticket.customer_id,
        ticket=ticket,
        version=_extra_version(rule),
        due_at=due,
        expires_at=due + timedelta(days=config.link_days),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # another writer invited this contact a moment ago
        return Invitation.objects.get(kind=Invitation.Kind.CONTACT, ticket=ticket)
    if invitation.state == InviteState.SCHEDULED and due <= now:
        route = _route(invitation, in_chat=in_chat)
        if route is not None and route[0] in STORED_CHANNELS:
            _send(invitation, route, now=now)
        else:
            transaction.on_commit(_kick_send_due)
    return invitation


def _extra_version(rule: Rule):
    """The rule's questionnaire as published now: the answers keep this version."""
    if rule.questionnaire_id is None:
        return None
    questionnaire = Questionnaire.objects.filter(pk=rule.questionnaire_id).first()
    return questionnaire.current_version if questionnaire is not None else None


def _kick_send_due() -> None:
    # Imported here: surveys.tasks imports this module (its task runs the sending).
    from .tasks import send_due_invitations

    try:
        send_due_invitations()
    except Exception:  # the worker's minute-by-minute run sends it later
        logger.exception("could not queue the survey sending")


# --- by which channel ------------------------------------------------------------------------
STORED_CHANNELS = ("chat", "email", "portal")


def _chat_open(ticket: Ticket, now: datetime) -> bool:
    """Is the customer still there to read a line in the chat? On the web, while they
    wrote lately (a chat closed because they left is not); on WeChat, while its window to
    write to them is open."""
    session = ChatSession.objects.filter(ticket=ticket).first()
    if session is None:
        return False
    last = session.customer_last_at or session.accepted_at
    window = REPLY_WINDOW.get(session.via) or timedelta(minutes=settings.HUITOU_CHAT_IDLE_MINUTES)
    return last is not None and now - last < window


def _route(
    invitation: Invitation, *, now: datetime | None = None, in_chat: bool = True
) -> tuple[str, str] | None:
    """(channel, address): the chat or WeChat they wrote in (while WeChat lets us), the
    e-mail of an e-mail ticket, a text for a phone ticket; then e-mail, then SMS; else the
    portal's 我的工单 (the link waits there). Unproven contacts are never written to."""
    ticket = invitation.ticket
    now = now or timezone.now()
    customer = ticket.customer
    proven = ticket.contact_status != ContactStatus.UNVERIFIED
    email = (ticket.contact_email if proven else "") or customer.email
    phone = (ticket.contact_phone if proven else "") or customer.phone
    blocked = opted_out_channels(customer)
    routes: list[tuple[str, str]] = []
    chat = ticket.channel in (Channel.CHAT, Channel.WECHAT)
    if chat and in_chat and _chat_open(ticket, now):
        routes.append(("chat", ""))
    by_mail = [("email", email)] if email and "email" not in blocked else []
    by_text = [("sms", phone)] if phone and sms_enabled() and "sms" not in blocked else []
    routes += by_text + by_mail if ticket.channel == Channel.PHONE else by_mail + by_text
    routes.append(("portal", ""))
    return routes[0]


def _message_text(invitation: Invitation) -> str:
    return _("您好，感谢您联系我们（工单 %(number)s）。请花十秒钟为本次服务评价：%(url)s") % {
        "number": invitation.ticket.number,
        "url": invitation_url(invitation),
    }


def _send(invitation: Invitation, route: tuple[str, str], *, now: datetime) -> None:
    """Send one invitation (or a reminder) by `route`; the caller holds its row."""
    channel, address = route
    ticket = invitation.ticket
    # The customer reads Chinese, whatever language the agent who resolved it reads.
    with translation.override(settings.LANGUAGE_CODE):
        text = _message_text(invitation)
        if channel == "chat":
            system_notice(ticket=ticket, body=text)
        elif channel == "email":
            do_outbox_add(
                to=[address],
                subject=_("请为本次服务评价（工单 %(number)s）") % {"number": ticket.number},
                body=text + "\n",
                kind=OUTBOX_KIND,
                key=f"survey:contact:{invitation.pk}:{invitation.reminders_sent}",
                headers={"Auto-Submitted": "auto-generated", "X-Huitou-Ticket": ticket.number},
            )
        elif channel == "sms":
            send_sms(to=address, text=text, purpose=SmsPurpose.NOTIFICATION, template="survey")
    invitation.state = InviteState.INVITED
    invitation.channel, invitation.address = channel, address[:254]
    invitation.sent_at = invitation.sent_at or now
    invitation.last_sent_at = now
    invitation.save(update_fields=["state", "channel", "address", "sent_at", "last_sent_at"])


def do_contact_invites_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send the contact invitations due now (`huitou surveys send-due`, the worker). Each is
    claimed in its own transaction (row lock, skip locked), so two workers never send one
    twice; a text the gateway refuses leaves it for the next channel."""
    now = now or timezone.now()
    sent = 0
    for _attempt in range(limit):
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket__customer")
                .filter(
                    kind=Invitation.Kind.CONTACT,
                    state=InviteState.SCHEDULED,
                    due_at__lte=now,
                )
                .order_by("due_at", "pk")
                .first()
            )
            if invitation is None:
                break
            if invitation.expires_at <= now:
                invitation.state = InviteState.EXPIRED
                invitation.save(update_fields=["state"])
                continue
            route = _route(invitation, now=now)
            try:
                _send(invitation, route, now=now)
            except SmsError as error:
                logger.warning("rating invitation %s by SMS failed: %s", invitation.pk, error)
                _send(invitation, ("portal", ""), now=now)
            sent += 1
    return sent


# --- answering -------------------------------------------------------------------------------
def access_invitation(token: str) -> Invitation:
    """The invitation of a link; DomainError (404) for a token that is no invitation's."""
    invitation = (
        Invitation.objects.select_related("ticket__customer", "ticket__assignee")
        .filter(token=token, kind=Invitation.Kind.CONTACT)
        .first()
    )
    if invitation is None:
        raise LinkNotFound(_("评价链接无效。"), field="token")
    return invitation


class LinkNotFound(DomainError):
    status_code = 404


class LinkExpired(DomainError):
    status_code = 410


def check_rating(*, rating, comment, reason, config: SatisfactionSettings) -> tuple:
    """(rating, comment, reason) cleaned; DomainError naming the field."""
    if isinstance(rating, bool) or rating in (None, ""):
        raise DomainError(_("请选择满意度（1–5）。"), field="rating")
    try:
        value = int(rating)
    except (TypeError, ValueError):
        raise DomainError(_("满意度须为 1 到 5 的整数。"), field="rating") from None
    if str(value) != str(rating).strip() or not 1 <= value <= 5:
        raise DomainError(_("满意度须为 1 到 5 的整数。"), field="rating")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise DomainError(_("意见须为文字。"), field="comment")
    comment = comment.strip()
    if len(comment) > COMMENT_LIMIT:
        raise DomainError(_("意见不能超过 %(n)s 字。") % {"n": COMMENT_LIMIT}, field="comment")
    reason = reason or ""
    if not isinstance(reason, str):
        raise DomainError(_("原因须为选项之一。"), field="reason")
    known = {item["value"] for item in config.reasons or DEFAULT_REASONS}
    if reason and reason not in known:
        raise DomainError(_("请从列表中选择原因。"), field="reason")
    if value > config.low_at_most:
        reason = ""  # a reason is asked only of a low rating
    return value, comment, reason


def _dimensions(ticket: Ticket) -> dict:
    session = ChatSession.objects.filter(ticket=ticket).only("agent_id").first()
    agent_id = ticket.assignee_id or (session.agent_id if session is not None else None)
    return {
        "agent_id": agent_id,
        "department_id": ticket.department_id,
        "queue_id": ticket.queue_id,
        "channel": ticket.channel,
        "tier": ticket.customer.tier,
        "ticket_type": ticket.type,
    }


def do_rating_submit(
    *,
    token: str,
    rating,
    comment: str = "",
    reason: str = "",
    answers: dict | None = None,
    change: str = "",
    entered_by=None,
    now: datetime | None = None,
) -> Response:
    """The customer's rating of one contact. A link answers once; the browser that answered
    may change it for SatisfactionSettings.change_days with its `change` key. Expired link:
    410; answered link without the key: 409; a bad value: 422 naming the field. `answers`:
    the rule's extra questionnaire (Invitation.version), keyed by question, checked like
    any questionnaire's."""
    now = now or timezone.now()
    config = rating_settings()
    value, comment, reason = check_rating(
        rating=rating, comment=comment, reason=reason, config=config
    )
    with transaction.atomic():
        found = access_invitation(token)
        checked = (
            check_answers(version=found.version, answers=answers or {}) if found.version_id else []
        )
        invitation = Invitation.objects.select_for_update().get(pk=found.pk)
        invitation.ticket = found.ticket
        if invitation.state == InviteState.ANSWERED:
            response = _changeable_response(invitation, change=change, config=config, now=now)
            was_low = (response.rating or 5) <= config.low_at_most
            response.rating, response.comment, response.reason = value, comment, reason
            response.changed_at = now
            response.nps = _nps(checked, response.nps)
            response.save(update_fields=["rating", "comment", "reason", "nps", "changed_at"])
            if checked:
                response.answers.all().delete()
                _store_answers(response, checked)
            if value <= config.low_at_most and not was_low:
                _open_follow_up(response)
            return response
        if invitation.state == InviteState.SKIPPED or invitation.expires_at <= now:
            raise LinkExpired(_("评价链接已过期。"), field="token")
        if invitation.state == InviteState.EXPIRED:
            raise LinkExpired(_("评价链接已过期。"), field="token")
        response = Response.objects.create(
            invitation=invitation,
            version=invitation.version,
            questionnaire_id=(
                invitation.version.questionnaire_id if invitation.version_id else None
            ),
            customer_id=invitation.customer_id,
            ticket=invitation.ticket,
            rating=value,
            nps=_nps(checked, None),
            comment=comment,
            reason=reason,
            entered_by=entered_by,
            answered_at=now,
            **_dimensions(invitation.ticket),
        )
        _store_answers(response, checked)
        invitation.state, invitation.answered_at = InviteState.ANSWERED, now
        invitation.save(update_fields=["state", "answered_at"])
        if value <= config.low_at_most:
            _open_follow_up(response)
    return response


def _nps(checked: list, current):
    scores = [result.value for result in checked if result.question.kind == QuestionKind.NPS]
    return scores[0] if scores else current


def _store_answers(response: Response, checked: list) -> None:
    Answer.objects.bulk_create(
        [
            Answer(response=response, question=result.question, **row)
            for result in checked
            for row in result.rows
        ]
    )


def _changeable_response(invitation, *, change: str, config, now: datetime) -> Response:
    response = invitation.response
    try:
        data = signing.loads(change or "", salt=CHANGE_SALT)
    except signing.BadSignature:
        data = None
    if not data or data.get("r") != response.pk:
        raise ConflictError(_("本次服务已经评价过了，感谢您的反馈。"), field="token")
    if now - response.answered_at > timedelta(days=config.change_days):
        raise LinkExpired(
            _("评价提交 %(n)s 天后不能再修改。") % {"n": config.change_days}, field="token"
        )
    return response


# --- follow-ups ------------------------------------------------------------------------------
def _open_follow_up(response: Response) -> FollowUp:
    follow_up, created = FollowUp.objects.get_or_create(response=response)
    if not created and follow_up.state == FollowUp.State.DONE:
        follow_up.state, follow_up.done_at, follow_up.done_by = FollowUp.State.OPEN, None, None
        follow_up.save(update_fields=["state", "done_at", "done_by"])
    transaction.on_commit(partial(_tell_supervisors, follow_up.pk))
    return follow_up


def follow_up_recipients():
    return (
        User.objects.filter(is_active=True)
        .filter(groups__permissions__codename="follow_up_rating")
        .distinct()
    )


def _tell_supervisors(follow_up_id: int) -> None:
    follow_up = FollowUp.objects.select_related("response__ticket").get(pk=follow_up_id)
    response = follow_up.response
    number = response.ticket.number if response.ticket_id else ""
    with transaction.atomic():
        do_notify(
            recipients=follow_up_recipients(),
            kind="survey_low_rating",
            title=_("低分评价待跟进：工单 %(number)s") % {"number": number},
            body=response.comment,
            url=reverse("surveys:follow_up", args=[follow_up.pk]),
        )


def check_may_follow_up(actor) -> None:
    if not (actor and actor.is_authenticated and actor.has_perm("surveys.follow_up_rating")):
        raise PermissionDenied(_("只有主管可以跟进低分评价。"))


def do_follow_up_done(*, actor, follow_up_id: int, outcome: str) -> FollowUp:
    """The supervisor called back and writes what came of it."""
    check_may_follow_up(actor)
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError(_("请填写跟进结果。"), field="outcome")
    if len(outcome) > COMMENT_LIMIT:
        raise DomainError(_("跟进结果不能超过 %(n)s 字。") % {"n": COMMENT_LIMIT}, field="outcome")
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().filter(pk=follow_up_id).first()
        if follow_up is None:
            raise LinkNotFound(_("跟进任务不存在。"), field="follow_up")
        if follow_up.state == FollowUp.State.DONE:
            raise ConflictError(_("该跟进任务已完成。"), field="follow_up")
        follow_up.state, follow_up.outcome = FollowUp.State.DONE, outcome
        follow_up.done_at, follow_up.done_by = timezone.now(), actor
        follow_up.save(update_fields=["state", "outcome", "done_at", "done_by"])
    return follow_up
