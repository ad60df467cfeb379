"""The demo's ratings after each contact: invitations back-dated to each resolution, answers
from about half the customers, worse where the service was worse (complaints, urgent work,
slow first answers), comments a customer would write, and the supervisors' follow-ups of
the low ones. Made in bulk after the tickets (the rating invite is paused while they load),
from a seeded generator, so two loads hold the same ratings."""

import random
import secrets
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef

from huitou.accounts.models import User
from huitou.chat.models import ChatSession
from huitou.surveys.models import FollowUp, Invitation, InviteState, Response
from huitou.surveys.rating import Skip, rating_settings
from huitou.tickets.models import Message, Status, Ticket, TicketType

COOLDOWN = timedelta(days=7)
ANSWER_SHARE = 0.48

# Weights of 5 (很好) … 1 (差) by how the contact went.
WEIGHTS = {
    "good": (46, 31, 13, 6, 4),
    "slow": (16, 27, 25, 18, 14),
    "complaint": (10, 17, 23, 24, 26),
    "praise": (82, 15, 3, 0, 0),
}
COMMENTS = {
    5: [
        "师傅上门很准时，讲解也很耐心，谢谢！",
        "客服态度特别好，一次就帮我解决了。",
        "回复很快，非常满意。",
        "Very helpful, thank you!",
        "处理得很专业，下次还找你们。",
        "",
    ],
    4: ["总体不错，就是电话等了一会儿。", "问题解决了，希望以后回复再快一点。", "服务挺好的。", ""],
    3: ["解决了，但是来回沟通了好几次。", "还行吧，等待时间有点长。", ""],
    2: ["打了三次电话才有人处理。", "答复不够清楚，我还是不知道怎么操作。", "上门时间改了两次。"],
    1: [
        "等了一个星期都没人联系我，非常失望。",
        "客服态度很差，问题也没解决。",
        "转了好几个部门，没人负责。",
    ],
}
REASONS = {
    2: ["waiting", "unclear", "transfers"],
    1: ["unsolved", "attitude", "waiting", "transfers"],
}
OUTCOMES = [
    "已回访客户，致歉并安排师傅加急上门，客户表示理解。",
    "已致电客户说明原因，赠送延保一年，客户接受。",
    "客户未接电话，已发短信致歉并留下主管联系方式。",
]


def _mood(ticket: Ticket) -> str:
    if ticket.type == TicketType.PRAISE:
        return "praise"
    if ticket.type == TicketType.COMPLAINT:
        return "complaint"
    first = ticket.first_response_at
    if ticket.priority == "urgent" or (first and first - ticket.created_at > timedelta(hours=8)):
        return "slow"
    return "good"


def load_demo_ratings(*, now: datetime) -> int:
    """Invitations and answers for the demo's resolved tickets; returns the answers made."""
    rng = random.Random(20261203)
    config = rating_settings()
    answered = Message.objects.filter(ticket=OuterRef("pk"), public=True, sender="staff")
    tickets = (
        Ticket.objects.filter(
            status__in=(Status.RESOLVED, Status.CLOSED), resolved_at__isnull=False
        )
        .annotate(answered=Exists(answered))
        .select_related("customer")
        .order_by("resolved_at", "pk")
    )
    chat_agents = dict(ChatSession.objects.values_list("ticket_id", "agent_id"))
    last_asked: dict[int, datetime] = {}
    invitations, plans = [], []
    for ticket in tickets:
        at = ticket.resolved_at
        reason = ""
        if ticket.customer.merged_into_id:
            reason = Skip.MERGED
        elif ticket.status == Status.CLOSED and not ticket.answered:
            reason = Skip.UNANSWERED
        elif ticket.customer_id in last_asked and at - last_asked[ticket.customer_id] < COOLDOWN:
            reason = Skip.COOLDOWN
        else:
            last_asked[ticket.customer_id] = at
        channel = {"email": "email", "chat": "chat", "wechat": "chat", "phone": "sms"}.get(
            ticket.channel, "email" if ticket.customer.email else "portal"
        )
        invitation = Invitation(
            kind=Invitation.Kind.CONTACT,
            token=secrets.token_urlsafe(24),
            state=InviteState.SKIPPED if reason else InviteState.INVITED,
            skip_reason=reason,
            customer_id=ticket.customer_id,
            ticket=ticket,
            channel="" if reason else channel,
            due_at=at,
            sent_at=None if reason else at,
            last_sent_at=None if reason else at,
            expires_at=at + timedelta(days=config.link_days),
        )
        invitations.append(invitation)
        if not reason and rng.random() < ANSWER_SHARE:
            plans.append((invitation, ticket))
    Invitation.objects.bulk_create(invitations, batch_size=500)
    for invitation in invitations:
        invitation.created_at = invitation.due_at
    Invitation.objects.bulk_update(invitations, ["created_at"], batch_size=500)
    responses = []
    for invitation, ticket in plans:
        rating = rng.choices((5, 4, 3, 2, 1), weights=WEIGHTS[_mood(ticket)])[0]
        answered_at = min(invitation.due_at + timedelta(minutes=rng.randint(3, 60 * 30)), now)
        reason = rng.choice(REASONS[rating]) if rating in REASONS and rng.random() < 0.85 else ""
        responses.append(
            Response(
                invitation=invitation,
                customer_id=ticket.customer_id,
                ticket=ticket,
                rating=rating,
                comment=rng.choice(COMMENTS[rating]),
                reason=reason,
                agent_id=ticket.assignee_id or chat_agents.get(ticket.pk),
                department_id=ticket.department_id,
                queue_id=ticket.queue_id,
                channel=ticket.channel,
                tier=ticket.customer.tier,
                ticket_type=ticket.type,
                answered_at=answered_at,
            )
        )
        invitation.state, invitation.answered_at = InviteState.ANSWERED, answered_at
    Response.objects.bulk_create(responses, batch_size=500)
    Invitation.objects.bulk_update(
        [invitation for invitation, _ticket in plans], ["state", "answered_at"], batch_size=500
    )
    _follow_ups(responses, now=now, rng=rng, low=config.low_at_most)
    return len(responses)


def _follow_ups(responses: list[Response], *, now: datetime, rng: random.Random, low: int) -> None:
    supervisor = User.objects.filter(username="supervisor").first()
    rows = []
    for response in responses:
        if response.rating > low:
            continue
        done = now - response.answered_at > timedelta(days=5) and rng.random() < 0.8
        rows.append(
            FollowUp(
                response=response,
                state=FollowUp.State.DONE if done else FollowUp.State.OPEN,
                outcome=rng.choice(OUTCOMES) if done else "",
                done_at=response.answered_at + timedelta(hours=rng.randint(2, 48))
                if done
                else None,
                done_by=supervisor if done else None,
            )
        )
    FollowUp.objects.bulk_create(rows, batch_size=500)
    for row in rows:
        row.created_at = row.response.answered_at
    FollowUp.objects.bulk_update(rows, ["created_at"], batch_size=500)
