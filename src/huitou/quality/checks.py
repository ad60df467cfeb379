"""Automatic checks: what a machine can judge of a conversation, and why.

Each check returns a CheckOutcome (pass / fail / na and a reason the inspector reads). The
agent's words are the staff's public messages; a phone ticket with none is judged on its
call log (the ticket's description, which the agent wrote)."""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from huitou.sla.calendars import compiled_calendar
from huitou.sla.models import TicketSla
from huitou.tickets.models import Channel, Message, Ticket
from huitou.tickets.phrases import forbidden_phrases_in, normalise_for_matching

from .models import Check, QualitySettings, Result

# A definite time: 2 小时, 三个工作日, 今天, 明天下午, 15:00, 12月5日, 周五.
DEFINITE_TIME = re.compile(
    r"(\d+|[一二两三四五六七八九十半]+)\s*(个)?\s*(分钟|小时|天|工作日|点)"
    r"|今天|明天|后天|今晚|下班前|周[一二三四五六日天]|星期[一二三四五六日天]"
    r"|\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
)


@dataclass(frozen=True)
class CheckOutcome:
    result: str
    reason: str


@dataclass
class Conversation:
    ticket: Ticket
    messages: list[Message]

    @property
    def agent_texts(self) -> list[tuple[object, str]]:
        """(time, text) of what the agent said to the customer, in order."""
        said = [
            (m.created_at, m.body)
            for m in self.messages
            if m.sender == Message.Sender.STAFF and m.public
        ]
        if not said and self.ticket.channel == Channel.PHONE and self.ticket.description:
            said = [(self.ticket.created_at, self.ticket.description)]
        return said


def _found(text: str, phrases: list[str]) -> str:
    normalised = normalise_for_matching(text)
    return next((p for p in phrases if normalise_for_matching(p) in normalised), "")


def _when(moment) -> str:
    return date_format(localtime(moment), "m-d H:i")


def _na_no_agent() -> CheckOutcome:
    return CheckOutcome(Result.NA, _("会话中没有坐席的回复，无法自动判断。"))


def check_greeting(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    said = conv.agent_texts
    if not said:
        return _na_no_agent()
    phrase = _found(said[0][1], settings.greeting_phrases)
    if phrase:
        return CheckOutcome(Result.PASS, _("首次回复含问候语“%(phrase)s”。") % {"phrase": phrase})
    return CheckOutcome(
        Result.FAIL,
        _("首次回复（%(at)s）没有问候语（如 %(examples)s）。")
        % {"at": _when(said[0][0]), "examples": "、".join(settings.greeting_phrases[:3])},
    )


def check_closing(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    said = conv.agent_texts
    if not said:
        return _na_no_agent()
    phrase = _found(said[-1][1], settings.closing_phrases)
    if phrase:
        return CheckOutcome(
            Result.PASS, _("最后一次回复含结束语“%(phrase)s”。") % {"phrase": phrase}
        )
    return CheckOutcome(
        Result.FAIL,
        _("最后一次回复（%(at)s）没有致谢或结束语（如 %(examples)s）。")
        % {"at": _when(said[-1][0]), "examples": "、".join(settings.closing_phrases[:3])},
    )


def check_forbidden(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    said = conv.agent_texts
    if not said:
        return _na_no_agent()
    hits = []
    for at, text in said:
        hits += [f"“{hit.phrase}”（{_when(at)}）" for hit in forbidden_phrases_in(text)]
    if hits:
        return CheckOutcome(
            Result.FAIL, _("坐席使用了服务忌语：%(hits)s。") % {"hits": "、".join(hits)}
        )
    return CheckOutcome(
        Result.PASS, _("%(count)d 条坐席回复中没有服务忌语。") % {"count": len(said)}
    )


def _sla(ticket: Ticket) -> TicketSla | None:
    return TicketSla.objects.select_related("policy__calendar").filter(ticket=ticket).first()


def check_first_response(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    sla = _sla(conv.ticket)
    if sla is None:
        return CheckOutcome(Result.NA, _("该工单没有 SLA 时限。"))
    answered = sla.first_response_at or conv.ticket.first_response_at
    due = _when(sla.first_response_due)
    if answered is None:
        return CheckOutcome(Result.FAIL, _("没有首次响应（时限 %(due)s）。") % {"due": due})
    values = {"at": _when(answered), "due": due}
    if answered <= sla.first_response_due:
        return CheckOutcome(Result.PASS, _("首次响应于 %(at)s，时限 %(due)s 内。") % values)
    return CheckOutcome(Result.FAIL, _("首次响应于 %(at)s，超过时限 %(due)s。") % values)


def check_reply_time(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    sla = _sla(conv.ticket)
    limit = sla.policy.next_response_minutes if sla else None
    if not limit:
        return CheckOutcome(Result.NA, _("该工单的 SLA 没有再次响应时限。"))
    calendar = compiled_calendar(sla.policy.calendar)
    answered_once = False
    waiting_since = None
    late, replies = [], 0
    for message in conv.messages:
        if message.sender == Message.Sender.CUSTOMER and answered_once and waiting_since is None:
            waiting_since = message.created_at
        elif message.sender == Message.Sender.STAFF and message.public:
            answered_once = True
            if waiting_since is not None:
                replies += 1
                minutes = calendar.between(waiting_since, message.created_at) / 60
                if minutes > limit:
                    late.append(
                        _("%(at)s 的来信 %(minutes)d 分钟后才回复")
                        % {"at": _when(waiting_since), "minutes": round(minutes)}
                    )
                waiting_since = None
    if late:
        return CheckOutcome(
            Result.FAIL,
            _("超过再次响应时限 %(limit)d 工作分钟：%(late)s。")
            % {"limit": limit, "late": "；".join(late)},
        )
    if not replies:
        return CheckOutcome(Result.NA, _("首次响应后客户没有再来信。"))
    return CheckOutcome(
        Result.PASS,
        _("%(count)d 次回复都在 %(limit)d 工作分钟内。") % {"count": replies, "limit": limit},
    )


def check_repeat_contact(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    ticket, days = conv.ticket, settings.repeat_days
    again = (
        Ticket.objects.filter(
            customer_id=ticket.customer_id,
            created_at__gt=ticket.created_at,
            created_at__lte=ticket.created_at + timedelta(days=days),
        )
        .exclude(pk=ticket.pk)
        .order_by("created_at")
        .first()
    )
    if again is None:
        return CheckOutcome(Result.PASS, _("客户在 %(days)d 天内没有再次联系。") % {"days": days})
    return CheckOutcome(
        Result.FAIL,
        _("客户在 %(days)d 天内再次联系：工单 %(number)s（%(at)s）。")
        % {"days": days, "number": again.number, "at": _when(again.created_at)},
    )


def check_repeat_back(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    said = conv.agent_texts
    if not said:
        return _na_no_agent()
    for _at, text in said:
        if phrase := _found(text, settings.repeat_back_phrases):
            return CheckOutcome(Result.PASS, _("坐席复述确认：“%(phrase)s”。") % {"phrase": phrase})
    return CheckOutcome(Result.FAIL, _("没有发现复述确认客户要点的用语。"))


def check_hold_reason(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    said = conv.agent_texts
    if not said:
        return _na_no_agent()
    holds = 0
    for at, text in said:
        hold = _found(text, settings.hold_phrases)
        if not hold:
            continue
        holds += 1
        if not _found(text, settings.reason_phrases):
            return CheckOutcome(
                Result.FAIL,
                _("%(at)s 说“%(hold)s”时没有说明原因。") % {"at": _when(at), "hold": hold},
            )
    if not holds:
        return CheckOutcome(Result.NA, _("会话中没有等待或转接。"))
    return CheckOutcome(Result.PASS, _("每次等待或转接前都说明了原因。"))


def check_definite_time(conv: Conversation, settings: QualitySettings) -> CheckOutcome:
    said = conv.agent_texts
    if not said:
        return _na_no_agent()
    promises = 0
    for at, text in said:
        promise = _found(text, settings.promise_phrases)
        if not promise:
            continue
        promises += 1
        if not DEFINITE_TIME.search(text):
            return CheckOutcome(
                Result.FAIL,
                _("%(at)s 承诺“%(promise)s”但没有给出明确时间。")
                % {"at": _when(at), "promise": promise},
            )
    if not promises:
        return CheckOutcome(Result.NA, _("会话中没有需要稍后答复的承诺。"))
    return CheckOutcome(Result.PASS, _("承诺稍后答复时给出了明确时间。"))


CHECKS = {
    Check.GREETING: check_greeting,
    Check.CLOSING: check_closing,
    Check.FORBIDDEN: check_forbidden,
    Check.FIRST_RESPONSE: check_first_response,
    Check.REPLY_TIME: check_reply_time,
    Check.REPEAT_CONTACT: check_repeat_contact,
    Check.REPEAT_BACK: check_repeat_back,
    Check.HOLD_REASON: check_hold_reason,
    Check.DEFINITE_TIME: check_definite_time,
}


def conversation(ticket: Ticket) -> Conversation:
    messages = list(ticket.messages.select_related("author").order_by("created_at", "id"))
    return Conversation(ticket=ticket, messages=messages)


def run_checks(
    ticket: Ticket, checks: set[str], settings: QualitySettings
) -> dict[str, CheckOutcome]:
    """The outcome of each named check (each run once, however many items use it)."""
    conv = conversation(ticket)
    return {name: CHECKS[name](conv, settings) for name in checks if name in CHECKS}
