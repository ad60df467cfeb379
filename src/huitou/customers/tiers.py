"""A/B/C/D value tiers [SPEC §1]: recomputed from value over a window, overridable by hand.

`assign_tiers` is pure; `do_tier_recompute` reads one aggregate, writes only the customers
whose tier changed, and appends their tier history, so it stays cheap on large archives.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_changes
from huitou.core.errors import DomainError, check_text
from huitou.core.permissions import check_permission

from .events import emit_retiered
from .models import Customer, Tier, TierChange, TierOverride, TierRule, Transaction

TIERS = [Tier.A, Tier.B, Tier.C, Tier.D]
BATCH = 2000


def assign_tiers(
    values: Iterable[tuple[int, Decimal]], *, method: str, shares: tuple[int, int, int]
) -> dict[int, str]:
    """Tier per customer id from (id, value) pairs.

    customer_share: rank by value; the top shares[0] % of customers are A, the next
    shares[1] % B, the next shares[2] % C, the rest D (the Pareto default 10/20/30).
    value_share: walk down the ranking; customers until shares[0] % of the total value are A,
    until shares[0]+shares[1] % B, and so on. Customers bringing no value are always D.
    Ties are broken by customer id, so a recompute is deterministic.
    """
    ranked = sorted(values, key=lambda pair: (-pair[1], pair[0]))
    tiers: dict[int, str] = {}
    positive = [(pk, value) for pk, value in ranked if value > 0]
    for pk, value in ranked:
        if value <= 0:
            tiers[pk] = Tier.D
    if method == TierRule.Method.CUSTOMER_SHARE:
        total = len(ranked)
        bounds = _cumulative(shares, total)
        for position, (pk, _value) in enumerate(positive):
            tiers[pk] = _tier_for(position, bounds)
    else:
        total_value = sum(value for _pk, value in positive)
        bounds = _cumulative(shares, total_value)
        running = Decimal(0)
        for pk, value in positive:
            # A customer belongs to the band in which their value starts.
            tiers[pk] = _tier_for(running, bounds)
            running += value
    return tiers


def _cumulative(shares: tuple[int, int, int], total) -> list:
    a, b, c = shares
    return [total * a / 100, total * (a + b) / 100, total * (a + b + c) / 100]


def _tier_for(position, bounds: list) -> str:
    for tier, bound in zip(TIERS, bounds, strict=False):
        if position < bound:
            return tier
    return Tier.D


def customer_values(*, rule: TierRule, now: datetime) -> list[tuple[int, Decimal]]:
    """(customer id, profit or revenue over the window) for every customer, zero if none."""
    field = "profit" if rule.basis == TierRule.Basis.PROFIT else "amount"
    since = now - timedelta(days=round(rule.window_months * 30.44))
    window = Transaction.objects.filter(
        customer=OuterRef("pk"),
        occurred_at__gte=since,
        occurred_at__lte=now,
        state__in=Transaction.COUNTED_STATES,
    )
    total = window.order_by().values("customer").annotate(total=Sum(field)).values("total")[:1]
    money = DecimalField(max_digits=16, decimal_places=2)
    return list(
        Customer.objects.annotate(
            value=Coalesce(Subquery(total, output_field=money), Decimal(0), output_field=money)
        ).values_list("pk", "value")
    )


def active_overrides(*, now: datetime) -> dict[int, str]:
    return dict(
        TierOverride.objects.filter(ended_at__isnull=True, expires_at__gt=now).values_list(
            "customer_id", "tier"
        )
    )


@transaction.atomic
def do_tier_recompute(*, now: datetime | None = None, actor=None) -> dict[str, int]:
    """Recompute every customer's tier; returns counts per tier and how many changed."""
    now = now or timezone.now()
    rule = TierRule.current()
    # Overrides past their expiry end now; the recomputed tier takes over.
    expired = TierOverride.objects.filter(ended_at__isnull=True, expires_at__lte=now)
    expired_customers = set(expired.values_list("customer_id", flat=True))
    expired.update(ended_at=now)
    computed = assign_tiers(
        customer_values(rule=rule, now=now),
        method=rule.method,
        shares=(rule.share_a, rule.share_b, rule.share_c),
    )
    computed.update(active_overrides(now=now))
    current = dict(Customer.objects.values_list("pk", "tier"))
    changed = [pk for pk, tier in computed.items() if current.get(pk) != tier]
    # One plain UPDATE per tier and batch: bulk_update's CASE WHEN per row was the hot spot.
    by_tier: dict[str, list[int]] = {}
    for pk in changed:
        by_tier.setdefault(computed[pk], []).append(pk)
    for tier, pks in by_tier.items():
        for start in range(0, len(pks), BATCH):
            Customer.objects.filter(pk__in=pks[start : start + BATCH]).update(
                tier=tier, updated_at=now
            )
    TierChange.objects.bulk_create(
        [
            TierChange(
                customer_id=pk,
                tier=computed[pk],
                effective_at=now,
                source=(
                    TierChange.Source.OVERRIDE_EXPIRED
                    if pk in expired_customers
                    else TierChange.Source.RECOMPUTE
                ),
                actor=actor,
            )
            for pk in changed
        ],
        batch_size=BATCH,
    )
    emit_retiered(changed)
    counts = {tier: 0 for tier in TIERS}
    for tier in computed.values():
        counts[tier] += 1
    return {**counts, "changed": len(changed)}


@transaction.atomic
def do_tier_override(
    *, actor, customer: Customer, tier: str, reason: str, expires_at: datetime
) -> TierOverride:
    """Set a tier by hand, with a reason and an expiry; recomputation leaves it until then."""
    check_permission(actor, "customers.change_customer")
    if tier not in Tier.values:
        raise DomainError(_("价值等级必须是 A、B、C、D 之一。"), field="tier")
    reason = check_text((reason or "").strip(), field="reason", max_length=200)
    if not reason:
        raise DomainError(_("人工调整等级必须填写原因。"), field="reason")
    now = timezone.now()
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    if expires_at <= now:
        raise DomainError(_("到期时间必须晚于现在。"), field="expires_at")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    TierOverride.objects.filter(customer=customer, ended_at__isnull=True).update(ended_at=now)
    override = TierOverride.objects.create(
        customer=customer, tier=tier, reason=reason, expires_at=expires_at, created_by=actor
    )
    if customer.tier != tier:
        do_audit_changes(obj=customer, actor=actor, changes=[("tier", customer.tier, tier)])
        customer.tier = tier
        customer.save(update_fields=["tier", "updated_at"])
    TierChange.objects.create(
        customer=customer,
        tier=tier,
        effective_at=now,
        source=TierChange.Source.MANUAL,
        reason=reason,
        actor=actor,
    )
    emit_retiered([customer.pk])
    return override


def tier_on(*, customer: Customer, moment: datetime) -> str | None:
    """The customer's tier at `moment` (None before they were filed)."""
    change = (
        TierChange.objects.filter(customer=customer, effective_at__lte=moment)
        .order_by("-effective_at", "-id")
        .first()
    )
    return change.tier if change else None


def tier_distribution(*, moment: datetime) -> dict[str, int]:
    """How many customers were in each tier at `moment`: a point of the tier chart."""
    latest = TierChange.objects.filter(
        customer=OuterRef("customer"), effective_at__lte=moment
    ).order_by("-effective_at", "-id")
    rows = (
        TierChange.objects.filter(effective_at__lte=moment)
        .filter(Q(pk=Subquery(latest.values("pk")[:1])))
        .values_list("tier", flat=True)
    )
    counts = {tier: 0 for tier in TIERS}
    for tier in rows:
        counts[tier] += 1
    return counts
