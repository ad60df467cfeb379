# ruff: noqa: E501  (FAQ answers read better unbroken)
"""Demo knowledge base: an appliance maker's FAQ, for the portal, the bot and agent assist."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.utils import timezone

from huitou.accounts.models import User
from huitou.complaints.models import Complaint, ComplaintStep
from huitou.core.models import AuditEntry, Notification
from huitou.customers.models import Customer, TierChange
from huitou.knowledge.bot import do_bot_ask
from huitou.knowledge.models import BotConversation, BotTurn, FaqEntry
from huitou.knowledge.portal import conversation_voter, do_faq_vote
from huitou.knowledge.services import do_faq_save
from huitou.tickets.models import Message, Status, Ticket
from huitou.tickets.services import do_message_add, do_ticket_update

# (category, question, answer, similar questions)
FAQ = [
    ("安装", "新买的空调怎么预约安装？", "在官方 APP 或拨打服务热线预约安装，师傅会在 24 小时内电话联系确认上门时间。",
     ["空调什么时候来装", "怎么约师傅上门安装", "买了空调找谁安装"]),
    ("安装", "安装要收费吗？", "标准安装免费；需要加长铜管、打墙孔或高空作业时按明码标价收费，师傅上门前会先告知。",
     ["装空调要钱吗", "安装费多少", "师傅收安装费合理吗"]),
    ("维修", "冰箱不制冷怎么办？", "请先确认电源和温度档位，关机 10 分钟再开；仍不制冷请在 APP 报修，师傅 48 小时内上门。",
     ["冰箱不冷了", "冷藏室不凉", "冰箱制冷效果差"]),
    ("维修", "空调漏水怎么办？", "多为排水管堵塞或弯折，请先关机断电，在 APP 报修，维修师傅会上门疏通或重新安装排水管。",
     ["空调滴水", "内机往下滴水", "空调一直漏水"]),
    ("维修", "洗衣机不脱水怎么办？", "请检查衣物是否偏在一侧、排水管是否堵塞；重新分布衣物后再试，仍不行请报修。",
     ["洗衣机甩干不了", "洗衣机不甩干"]),
    ("保修", "保修期多久？", "整机保修 1 年，空调压缩机和冰箱压缩机保修 10 年，以购机发票日期为准。",
     ["保修几年", "过了一年还保修吗", "压缩机保修多久"]),
    ("保修", "延保服务怎么买？", "购机后 90 天内可在 APP“延保服务”购买，最长延至 5 年。", ["怎么延长保修", "能买延保吗"]),
    ("订单", "订单什么时候发货？", "现货商品 48 小时内发货，大家电由物流送装一体，发货后可在订单页查看物流。",
     ["什么时候发货", "下单后多久到", "怎么查物流"]),
    ("订单", "怎么修改收货地址？", "未发货的订单可在订单页修改地址；已发货请联系客服协调物流改派。",
     ["地址填错了", "能改收货地址吗"]),
    ("退换", "怎么申请退货？", "签收 7 天内、商品完好且不影响二次销售可在订单页申请无理由退货，上门取件免费。",
     ["七天无理由退货", "不想要了能退吗", "怎么退货"]),
    ("退换", "退款多久到账？", "退货验收后 3 个工作日内原路退回，信用卡以银行入账时间为准。",
     ["退款什么时候到", "钱什么时候退回来"]),
    ("发票", "怎么开发票？", "下单时可选择电子发票，发货后发送到您的邮箱；也可在订单页补开。",
     ["能开发票吗", "发票怎么开", "要增值税发票"]),
]  # fmt: skip


def load_demo_faq() -> int:
    for category, question, answer, similar in FAQ:
        do_faq_save(
            actor=None, category=category, question=question, answer=answer, similar=similar
        )
    return len(FAQ)


# Chats with the bot (through the real bot), for the analytics page: (the customer's
# questions in turn, their vote on the last answer: "+" helpful, "-" not helpful, "" none).
# Most are answered; a vague one gets a clarifying question and the customer picks an entry;
# what the FAQ does not cover goes to a person, as do those who ask for one or are angry.
BOT_TALKS = [
    (["空调一直滴水怎么办"], "+"),
    (["冰箱不冷了怎么回事"], "+"),
    (["洗衣机甩不干"], ""),
    (["保修几年"], "+"),
    (["什么时候发货"], ""),
    (["退款多久能到"], "+"),
    (["怎么开电子发票"], ""),
    (["安装要钱吗"], "+"),
    (["地址填错了怎么改"], "+"),
    (["七天无理由退货怎么弄"], ""),
    (["延保怎么买"], "+"),
    (["空调什么时候来装"], ""),
    (["师傅上门收费吗"], "-"),
    (["压缩机坏了保修吗"], "+"),
    (["冰箱不制冷了"], ""),
    (["什么时候发货", "退款多久能到"], "+"),
    (["空调", "空调漏水怎么办？"], "+"),
    (["保修", "保修期多久？"], ""),
    (["物流到哪了", "订单什么时候发货？"], "-"),
    (["热水器打不着火", "没用，转人工"], "-"),
    (["电视黑屏了", "人工"], ""),
    (["你们门店在哪里"], ""),
    (["附近有没有线下门店"], ""),
    (["积分怎么兑换"], ""),
    (["会员积分能换什么"], ""),
    (["燃气灶点不着火"], ""),
    (["燃气灶打不着怎么办"], ""),
    (["转人工"], ""),
    (["人工客服"], ""),
]
ANGRY_TALKS = [
    "你们什么破服务，师傅三天都没来，气死我了！",
    "等了一个星期还没发货，太过分了，我要投诉",
]
BOT_DAYS = 45
BOT_REPLY = "您好，我是人工客服。您的问题已经记录，已为您转给相关同事处理，稍后会电话联系您。"
# What a chat writes, with the time it happened (the services stamp the load time).
STAMPED = {
    BotConversation: ("started_at", "last_at"),
    BotTurn: ("created_at",),
    Customer: ("created_at", "updated_at"),
    TierChange: ("effective_at",),
    Ticket: ("created_at", "updated_at"),
    Message: ("created_at",),
    AuditEntry: ("created_at",),
    Complaint: ("received_at",),
    ComplaintStep: ("at",),
    Notification: ("created_at",),
}


def _at(at: datetime, action: Callable[[], object]):
    """Run `action`, then move every row it created to `at`."""
    marks = {
        model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for model in STAMPED
    }
    result = action()
    for model, fields in STAMPED.items():
        model.objects.filter(pk__gt=marks[model]).update(**{field: at for field in fields})
    return result


@dataclass(frozen=True)
class Chat:
    questions: tuple[str, ...]
    vote: str  # on the last answer: "+" helpful, "-" not helpful, "" none
    times: tuple[datetime, ...]  # of each question
    agent: str  # who picks up a hand-off, if one more than a day old
    answered: datetime  # when that agent answers it
    done: datetime  # and resolves it


def plan_demo_chats(*, now: datetime, share: float = 1.0) -> list[Chat]:
    """The bot's last weeks: each scripted chat a few times, at daytime hours, oldest first;
    a smaller demo (`share` of the full one) has a sample of them."""
    rng = random.Random(2028)
    talks = [*(talk for talk in BOT_TALKS for _copy in range(2)), *BOT_TALKS[:12]]
    talks += [([text], "") for text in ANGRY_TALKS]
    if share < 1:
        talks = rng.sample(talks, max(6, round(len(talks) * share)))
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    chats = []
    for questions, vote in talks:
        angry = questions[0] in ANGRY_TALKS  # still being looked after: today or yesterday
        day = rng.randint(0, 1) if angry else rng.randint(1, BOT_DAYS)
        at = midnight - timedelta(days=day, hours=-rng.uniform(8, 22))
        # Not in the last hour: a later chat moves back by a different amount each, so no
        # two start at the same instant.
        early = now - timedelta(hours=1, minutes=rng.uniform(0, 300))
        at = min(at, early)
        times = []
        for _question in questions:
            times.append(at)
            at += timedelta(seconds=rng.uniform(20, 90))
        answered = at + timedelta(minutes=rng.uniform(3, 40))
        chats.append(
            Chat(
                questions=tuple(questions),
                vote=vote,
                times=tuple(times),
                agent=rng.choice(["agent1", "agent2", "agent3"]),
                answered=answered,
                done=answered + timedelta(minutes=rng.uniform(5, 120)),
            )
        )
    return sorted(chats, key=lambda chat: chat.times[0])


def load_demo_chats(chats: list[Chat], *, until: datetime, now: datetime) -> list[Chat]:
    """Hold the chats that were over before `until` through the real bot (the loader calls
    this between tickets, so hand-off tickets are numbered in the order they came in);
    returns the rest. Hand-offs more than a day old were picked up and resolved by an agent."""
    while chats and chats[0].times[-1] < until:
        chat, chats = chats[0], chats[1:]
        token, reply = None, {}
        for question, at in zip(chat.questions, chat.times, strict=True):
            reply = _at(at, partial(do_bot_ask, question=question, conversation=token))
            token = reply["conversation"]
            BotConversation.objects.filter(token=token).update(last_at=at)
        if chat.vote and reply.get("faq_id"):
            do_faq_vote(
                entry=FaqEntry(pk=reply["faq_id"]),
                helpful=chat.vote == "+",
                voter=conversation_voter(token),
            )
        ticket = BotConversation.objects.select_related("ticket").get(token=token).ticket
        if ticket is None or ticket.type == "complaint" or chat.times[0] > now - timedelta(days=1):
            continue  # answered by the bot, or still waiting for a person
        agent = User.objects.prefetch_related("groups").get(username=chat.agent)
        _pick_up(agent, ticket, answered=chat.answered, done=chat.done)
    return chats


def _pick_up(agent, ticket: Ticket, *, answered: datetime, done: datetime) -> None:
    """An agent takes the handed-off chat, answers and resolves it."""

    if ticket.assignee_id is None:
        ticket = _at(
            answered,
            partial(do_ticket_update, actor=agent, ticket=ticket, changes={"assignee": agent}),
        )
    else:  # routing gave it to someone already
        agent = User.objects.prefetch_related("groups").get(pk=ticket.assignee_id)
    _at(answered, partial(do_message_add, actor=agent, ticket=ticket, body=BOT_REPLY, public=True))
    _at(
        done,
        partial(do_ticket_update, actor=agent, ticket=ticket, changes={"status": Status.RESOLVED}),
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        updated_at=done, first_response_at=answered, resolved_at=done
    )
