"""Distributing a questionnaire (调查发放) [000, 002]: to a random sample of a customer segment
(tier, tag, stage, last contact), to anyone with a public link or QR code (comment cards),
or to a list an agent phones; by e-mail, SMS, a link, the customer portal.

Opening a segment distribution draws its sample once (deterministic per distribution: a retry
draws the same customers) and makes one Invitation (kind survey) per customer, which the
database keeps unique. `do_survey_invites_send_due` (the worker, `huitou surveys send-due`)
sends what is due, reminds those who have not answered, and closes distributions past their
close date (their open invitations expire) or with their quota of answers."""

import hashlib
import logging
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError, DomainError
from huitou.core.outbox import do_outbox_add
from huitou.core.permissions import check_permission
from huitou.customers.models import Customer
from huitou.notify.services import opted_out_channels
from huitou.sms.models import Purpose as SmsPurpose
from huitou.sms.services import SmsError, SmsLimited, do_sms_send

from .distribution_checks import PRESETS, check_distribution_fields
from .models import Distribution, Invitation, InviteState

logger = logging.getLogger(__name__)

Audience = Distribution.Audience
State = Distribution.State
ASKING = (InviteState.SCHEDULED, InviteState.INVITED)
LINK_DAYS = 30  # an invitation's life when the distribution has no close date
OUTBOX_KIND = "survey"
SMS_TEMPLATE = "survey_invite"  # the providers' approved wording: {title} {url}


class Skip:
    """Why a survey invitation was not sent (Invitation.skip_reason)."""

    UNREACHABLE = "unreachable"  # no address by the distribution's channels, not in the portal
    SMS_FAILED = "sms_failed"


# --- permissions and reads -------------------------------------------------------------------
def check_may_manage(actor) -> None:
    check_permission(actor, "surveys.manage_surveys")


def check_may_enter(actor) -> None:
    check_permission(actor, "surveys.enter_survey_answers")


def distribution_list(*, user, state: str = "") -> QuerySet[Distribution]:
    """Distributions with their counts: invited (sent or answered), answered, responses."""
    check_may_manage(user)
    rows = Distribution.objects.select_related("questionnaire").annotate(
        reached_count=Count(
            "invitations",
            filter=Q(invitations__sent_at__isnull=False)
            | Q(invitations__state=InviteState.ANSWERED),
            distinct=True,
        ),
        answered_count=Count(
            "invitations", filter=Q(invitations__state=InviteState.ANSWERED), distinct=True
        ),
        invitation_count=Count("invitations", distinct=True),
        response_count=Count("responses", distinct=True),
    )
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-pk")


def response_rate(distribution: Distribution) -> float | None:
    """Answers per invitee reached (a segment's: sent or answered; a phone survey's: every
    customer on its list); None for an open link, or before anyone was reached. Reads the
    counts distribution_list annotates."""
    if distribution.audience == Audience.OPEN:
        return None
    if distribution.audience == Audience.PHONE:
        reached = distribution.invitation_count
    else:
        reached = distribution.reached_count
    if not reached:
        return None
    return round(distribution.answered_count / reached, 4)


def access_distribution(*, user, distribution_id: int) -> Distribution:
    check_may_manage(user)
    found = distribution_list(user=user).filter(pk=distribution_id).first()
    if found is None:
        raise DistributionNotFound(_("调查发放不存在。"), field="distribution")
    return found


class DistributionNotFound(DomainError):
    status_code = 404


def invitee_list(distribution: Distribution, *, state: str = "") -> QuerySet[Invitation]:
    rows = distribution.invitations.select_related("customer").order_by("pk")
    if state:
        rows = rows.filter(state=state)
    return rows


def phone_distributions(*, user) -> QuerySet[Distribution]:
    """Open phone surveys, for the agents who key in answers."""
    check_may_enter(user)
    return (
        Distribution.objects.filter(audience=Audience.PHONE, state=State.OPEN)
        .select_related("questionnaire")
        .order_by("-created_at", "-pk")
    )


def access_phone_distribution(*, user, distribution_id: int) -> Distribution:
    found = phone_distributions(user=user).filter(pk=distribution_id).first()
    if found is None:
        raise DistributionNotFound(_("电话调查不存在或已结束。"), field="distribution")
    return found


def access_phone_invitation(*, user, distribution_id: int, invitation_id: int) -> Invitation:
    distribution = access_phone_distribution(user=user, distribution_id=distribution_id)
    found = (
        distribution.invitations.select_related("customer", "version", "distribution")
        .filter(pk=invitation_id)
        .first()
    )
    if found is None:
        raise DistributionNotFound(_("受访客户不存在。"), field="invitation")
    return found


# --- links -----------------------------------------------------------------------------------
def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def answer_url(invitation: Invitation) -> str:
    """The invitee's own link: the questionnaire's answer page /s/q/<token>/."""
    return _absolute(reverse("survey_public:answer", args=[invitation.token]))


def open_url(distribution: Distribution) -> str:
    """Anyone's link (comment cards, the QR code for print)."""
    return _absolute(reverse("survey_public:open", args=[distribution.public_token]))


# --- writes ----------------------------------------------------------------------------------
def do_distribution_create(*, actor, data: dict[str, Any], preset: str = "") -> Distribution:
    """A draft distribution; a preset fills what the data leaves out."""
    check_may_manage(actor)
    if preset and preset not in PRESETS:
        raise DomainError(_("未知的预设。"), field="preset")
    given = dict(data)
    if preset:
        template = PRESETS[preset]
        for name in ("audience", "segment", "channels", "in_portal"):
            if name in template:
                given.setdefault(name, template[name])
        given.setdefault("name", str(template["name"]))
    clean = check_distribution_fields(given, current=None)
    with transaction.atomic():
        distribution = Distribution.objects.create(
            **clean, public_token=secrets.token_urlsafe(24), created_by=actor
        )
        do_audit_record(obj=distribution, actor=actor, action="created")
    return distribution


def _locked(distribution_id: int) -> Distribution:
    found = Distribution.objects.select_for_update().filter(pk=distribution_id).first()
    if found is None:
        raise DistributionNotFound(_("调查发放不存在。"), field="distribution")
    return found


def do_distribution_update(*, actor, distribution_id: int, data: dict[str, Any]) -> Distribution:
    check_may_manage(actor)
    with transaction.atomic():
        distribution = _locked(distribution_id)
        clean = check_distribution_fields(data, current=distribution)
        for name, value in clean.items():
            setattr(distribution, name, value)
        distribution.save()
        if distribution.state == State.OPEN and "closes_at" in clean:
            # The links live until the new close date.
            distribution.invitations.filter(state__in=ASKING).update(
                expires_at=_expiry(distribution, timezone.now())
            )
        do_audit_record(obj=distribution, actor=actor, action="changed")
    return distribution


def _last_contacts() -> QuerySet:
    return Customer.objects.annotate(last_contact=Max("tickets__created_at"))


def segment_customers(segment: dict, *, now: datetime | None = None) -> QuerySet[Customer]:
    """The live customers in a segment (merged and erased records never). Last contact is
    the customer's latest ticket: "at least N days ago" counts a customer never in contact,
    "at most N days ago" does not."""
    now = now or timezone.now()
    rows = _last_contacts().filter(merged_into__isnull=True, anonymised_at__isnull=True)
    if segment.get("tier"):
        rows = rows.filter(tier__in=segment["tier"])
    if segment.get("stage"):
        rows = rows.filter(stage__in=segment["stage"])
    if segment.get("tag"):
        rows = rows.filter(
            pk__in=Customer.objects.filter(tag_links__tag__name__in=segment["tag"]).values("pk")
        )
    days = segment.get("last_contact_days") or {}
    if days.get("min") is not None:
        rows = rows.filter(
            Q(last_contact__lte=now - timedelta(days=days["min"])) | Q(last_contact__isnull=True)
        )
    if days.get("max") is not None:
        rows = rows.filter(last_contact__gte=now - timedelta(days=days["max"]))
    return rows


def _draw_key(distribution: Distribution, customer_id: int) -> bytes:
    return hashlib.sha256(f"distribution:{distribution.pk}:{customer_id}".encode()).digest()


def draw_sample(distribution: Distribution, customer_ids: list[int]) -> list[int]:
    """sample_percent of the segment (rounded up), the same customers on every draw: each
    is ranked by a hash of the distribution and the customer."""
    ranked = sorted(set(customer_ids), key=lambda pk: _draw_key(distribution, pk))
    if distribution.sample_percent >= 100:
        return sorted(ranked)
    size = math.ceil(len(ranked) * distribution.sample_percent / 100)
    return sorted(ranked[:size])


def _expiry(distribution: Distribution, now: datetime) -> datetime:
    return distribution.closes_at or max(now, distribution.opens_at or now) + timedelta(
        days=LINK_DAYS
    )


def do_distribution_open(
    *, actor, distribution_id: int, now: datetime | None = None
) -> Distribution:
    """Start a draft: a segment or phone survey draws its sample and invites each customer
    once (due at the start); an open link starts answering."""
    check_may_manage(actor)
    now = now or timezone.now()
    with transaction.atomic():
        distribution = _locked(distribution_id)
        if distribution.state != State.DRAFT:
            raise ConflictError(_("只有草稿状态的调查可以开始。"), field="state")
        questionnaire = distribution.questionnaire
        if questionnaire.archived or questionnaire.current_version_id is None:
            raise DomainError(_("问卷不存在或尚未发布。"), field="questionnaire")
        if distribution.closes_at and distribution.closes_at <= now:
            raise DomainError(_("截止时间已过。"), field="closes_at")
        if distribution.audience != Audience.OPEN:
            _invite_sample(distribution, questionnaire.current_version_id, now=now)
        distribution.state = State.OPEN
        distribution.save(update_fields=["state"])
        do_audit_record(obj=distribution, actor=actor, action="changed", field="state",
                        old=State.DRAFT, new=State.OPEN)  # fmt: skip
    return distribution


def _invite_sample(distribution: Distribution, version_id: int, *, now: datetime) -> int:
    ids = list(segment_customers(distribution.segment, now=now).values_list("pk", flat=True))
    chosen = draw_sample(distribution, ids)
    due = max(now, distribution.opens_at or now)
    expires = _expiry(distribution, now)
    phone = distribution.audience == Audience.PHONE
    Invitation.objects.bulk_create(
        [
            Invitation(
                kind=Invitation.Kind.SURVEY,
                token=secrets.token_urlsafe(24),
                customer_id=pk,
                distribution=distribution,
                version_id=version_id,
                channel="phone" if phone else "",
                due_at=due,
                expires_at=expires,
            )
            for pk in chosen
        ],
        ignore_conflicts=True,  # the constraint: one invitation per customer per distribution
        batch_size=1000,
    )
    return len(chosen)


def _close(distribution: Distribution, *, now: datetime) -> int:
    """Close a locked open distribution; its unanswered invitations expire."""
    distribution.state = State.CLOSED
    distribution.closes_at = distribution.closes_at if distribution.closes_at else now
    if distribution.closes_at > now:
        distribution.closes_at = now
    distribution.save(update_fields=["state", "closes_at"])
    return distribution.invitations.filter(state__in=ASKING).update(state=InviteState.EXPIRED)


def do_distribution_close(
    *, actor, distribution_id: int, now: datetime | None = None
) -> Distribution:
    check_may_manage(actor)
    now = now or timezone.now()
    with transaction.atomic():
        distribution = _locked(distribution_id)
        if distribution.state == State.CLOSED:
            raise ConflictError(_("调查已经结束。"), field="state")
        old = distribution.state
        _close(distribution, now=now)
        do_audit_record(obj=distribution, actor=actor, action="changed", field="state",
                        old=old, new=State.CLOSED)  # fmt: skip
    return distribution


# --- sending ---------------------------------------------------------------------------------
def _route(invitation: Invitation) -> tuple[str, str]:
    """(channel, address) by the distribution's channels in order (e-mail before SMS), the
    customer's opt-outs respected; ("portal", "") when it waits in the portal; ("", "")
    when the customer cannot be reached."""
    distribution, customer = invitation.distribution, invitation.customer
    blocked = opted_out_channels(customer)
    for channel in ("email", "sms"):
        if channel not in distribution.channels or channel in blocked:
            continue
        address = customer.email if channel == "email" else customer.phone
        if address:
            return channel, address
    if distribution.in_portal:
        return "portal", ""
    return "", ""


def _message(invitation: Invitation, *, reminder: bool) -> tuple[str, str]:
    questionnaire = invitation.distribution.questionnaire
    values = {"title": questionnaire.title, "url": answer_url(invitation)}
    if reminder:
        subject = _("提醒：请填写问卷《%(title)s》") % values
        text = _("您好，您还没有填写问卷《%(title)s》，花几分钟就能完成：%(url)s") % values
    else:
        subject = _("邀请您填写问卷《%(title)s》") % values
        text = _("您好，邀请您参加《%(title)s》调查，您的意见对我们很重要：%(url)s") % values
    return subject, text


def _deliver(invitation: Invitation, channel: str, address: str, *, now, reminder: bool):
    """Hand one invitation or reminder to its channel; SmsError when the text cannot go."""
    with translation.override(settings.LANGUAGE_CODE):  # the customer reads Chinese
        subject, text = _message(invitation, reminder=reminder)
        if channel == "email":
            do_outbox_add(
                to=[address],
                subject=subject,
                body=text + "\n",
                kind=OUTBOX_KIND,
                key=f"survey:invite:{invitation.pk}:{invitation.reminders_sent}",
                headers={"Auto-Submitted": "auto-generated"},
            )
        elif channel == "sms":
            do_sms_send(
                to=address,
                purpose=SmsPurpose.MARKETING,  # a survey waits out the quiet hours
                template=SMS_TEMPLATE,
                params={"title": invitation.distribution.questionnaire.title[:20],
                        "url": answer_url(invitation)},
                text=text,
                now=now,
            )  # fmt: skip


def _send_first(invitation: Invitation, *, now: datetime) -> bool:
    channel, address = _route(invitation)
    if not channel:
        invitation.state, invitation.skip_reason = InviteState.SKIPPED, Skip.UNREACHABLE
        invitation.save(update_fields=["state", "skip_reason"])
        return False
    try:
        _deliver(invitation, channel, address, now=now, reminder=False)
    except SmsLimited:
        # The number had its texts for today: try again tomorrow.
        invitation.due_at = now + timedelta(days=1)
        invitation.save(update_fields=["due_at"])
        return False
    except SmsError as error:
        logger.warning("survey invitation %s by SMS failed: %s", invitation.pk, error)
        if not invitation.distribution.in_portal:
            invitation.state, invitation.skip_reason = InviteState.SKIPPED, Skip.SMS_FAILED
            invitation.save(update_fields=["state", "skip_reason"])
            return False
        channel, address = "portal", ""
    invitation.state = InviteState.INVITED
    invitation.channel, invitation.address = channel, address[:254]
    invitation.sent_at = invitation.last_sent_at = now
    invitation.save(update_fields=["state", "channel", "address", "sent_at", "last_sent_at"])
    return channel != "portal"


def _send_reminder(invitation: Invitation, *, now: datetime) -> bool:
    invitation.reminders_sent += 1
    try:
        _deliver(invitation, invitation.channel, invitation.address, now=now, reminder=True)
    except SmsError as error:
        logger.warning("survey reminder %s by SMS failed: %s", invitation.pk, error)
        invitation.reminders_sent -= 1
        invitation.last_sent_at = now  # not again before the next reminder is due
        invitation.save(update_fields=["last_sent_at"])
        return False
    invitation.last_sent_at = now
    invitation.save(update_fields=["reminders_sent", "last_sent_at"])
    return True


def do_distributions_close_due(*, now: datetime | None = None) -> int:
    """Close open distributions past their close date or with their quota of answers."""
    now = now or timezone.now()
    due = Distribution.objects.filter(state=State.OPEN).annotate(answers=Count("responses"))
    past = Q(closes_at__lte=now)
    full = Q(quota__isnull=False, answers__gte=F("quota"))
    closed = 0
    for pk in due.filter(past | full).values_list("pk", flat=True):
        with transaction.atomic():
            distribution = Distribution.objects.select_for_update().get(pk=pk)
            if distribution.state == State.OPEN:
                _close(distribution, now=now)
                closed += 1
    return closed


def _reminders_due(now: datetime) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        kind=Invitation.Kind.SURVEY,
        state=InviteState.INVITED,
        channel__in=["email", "sms"],
        answered_at__isnull=True,
        expires_at__gt=now,
        distribution__state=State.OPEN,
        distribution__remind_after_days__isnull=False,
        reminders_sent__lt=F("distribution__max_reminders"),
    )


def do_survey_invites_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Close what is due, send the questionnaire invitations due now and the reminders due
    now (never to someone who answered); at most `limit` messages. Each invitation is
    claimed in its own transaction (row lock, skip locked), so two workers never send one
    twice; an e-mail's outbox key makes a retry harmless too. Returns the messages sent."""
    now = now or timezone.now()
    do_distributions_close_due(now=now)
    sent = 0
    for _attempt in range(limit):
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("distribution__questionnaire", "customer")
                .filter(
                    kind=Invitation.Kind.SURVEY,
                    state=InviteState.SCHEDULED,
                    due_at__lte=now,
                    distribution__state=State.OPEN,
                    distribution__audience=Audience.SEGMENT,
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
            sent += _send_first(invitation, now=now)
    for _attempt in range(limit - sent):
        with transaction.atomic():
            candidates = _reminders_due(now).select_related(
                "distribution__questionnaire", "customer"
            )
            invitation = None
            for row in candidates.select_for_update(skip_locked=True, of=("self",)).order_by(
                "last_sent_at", "pk"
            )[:50]:
                wait = timedelta(days=row.distribution.remind_after_days)
                if row.last_sent_at and row.last_sent_at + wait <= now:
                    invitation = row
                    break
            if invitation is None:
                break
            sent += _send_reminder(invitation, now=now)
    return sent


# --- the portal --------------------------------------------------------------------------------
def portal_surveys(*, customer_ids: tuple[int, ...], now: datetime | None = None) -> list[dict]:
    """What the signed-in portal customer is asked to answer: their open invitations of
    distributions shown in the portal, and open links (comment cards) shown there."""
    now = now or timezone.now()
    shown = Q(state=State.OPEN, in_portal=True) & (Q(opens_at__isnull=True) | Q(opens_at__lte=now))
    shown &= Q(closes_at__isnull=True) | Q(closes_at__gt=now)
    found = []
    if customer_ids:
        invitations = (
            Invitation.objects.filter(
                kind=Invitation.Kind.SURVEY,
                customer_id__in=customer_ids,
                state__in=ASKING,
                expires_at__gt=now,
                distribution__in=Distribution.objects.filter(shown).exclude(
                    audience=Audience.PHONE
                ),
            )
            .select_related("distribution__questionnaire")
            .order_by("pk")
        )
        found += [
            {"title": row.distribution.questionnaire.title, "url": answer_url(row)}
            for row in invitations
        ]
    for distribution in (
        Distribution.objects.filter(shown, audience=Audience.OPEN)
        .select_related("questionnaire")
        .order_by("pk")
    ):
        found.append({"title": distribution.questionnaire.title, "url": open_url(distribution)})
    return found
