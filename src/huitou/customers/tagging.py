"""Customer tags [SPEC §1, 002]: manual, rule (structured conditions, never eval) and RFM.

Tags are recomputed by jobs (`huitou tags recompute`, nightly), never on page load.
"""

from bisect import bisect_left
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError, check_text
from huitou.core.permissions import check_permission

from .models import (
    Customer,
    CustomerRFM,
    CustomerTag,
    Tag,
    TagRule,
    TagSource,
    TierRule,
    Transaction,
)

# What a rule may look at: field name → (ORM lookup path, value kind).
RULE_FIELDS = {
    "tier": ("tier", "choice"),
    "stage": ("stage", "choice"),
    "kind": ("kind", "choice"),
    "gender": ("gender", "choice"),
    "personality": ("personality", "choice"),
    "city": ("city", "text"),
    "name": ("name", "text"),
    "is_internal": ("is_internal", "bool"),
    "loss_risk": ("loss_risk_since__isnull", "negated_bool"),
    "rfm_segment": ("rfm__segment", "text"),
    "rfm_r": ("rfm__r_score", "number"),
    "rfm_f": ("rfm__f_score", "number"),
    "rfm_m": ("rfm__m_score", "number"),
    "purchase_count": ("rfm__frequency", "number"),
    "monetary": ("rfm__monetary", "number"),
    "days_since_purchase": ("rfm__recency_days", "number"),
}
OPERATORS = {
    "choice": {"eq": "exact", "ne": "exact", "in": "in"},
    "text": {"eq": "exact", "ne": "exact", "in": "in", "contains": "contains"},
    "bool": {"eq": "exact"},
    "negated_bool": {"eq": "exact"},
    "number": {"eq": "exact", "ne": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"},
}


def check_tag_rule(conditions) -> list[dict]:
    """Validate a rule's conditions; the error names the condition that is wrong."""
    if not isinstance(conditions, list) or not conditions:
        raise DomainError(_("规则至少需要一个条件。"), field="conditions")
    for index, condition in enumerate(conditions, start=1):
        where = _("第 %(n)d 个条件：") % {"n": index}
        if not isinstance(condition, dict) or set(condition) != {"field", "op", "value"}:
            raise DomainError(where + _("需要 field、op、value 三项。"), field="conditions")
        if condition["field"] not in RULE_FIELDS:
            raise DomainError(
                where + _("不支持的字段 %(field)s。") % {"field": condition["field"]},
                field="conditions",
            )
        kind = RULE_FIELDS[condition["field"]][1]
        if condition["op"] not in OPERATORS[kind]:
            raise DomainError(
                where + _("字段不支持运算 %(op)s。") % {"op": condition["op"]}, field="conditions"
            )
        value = condition["value"]
        if condition["op"] == "in":
            valid = isinstance(value, list) and all(isinstance(v, str) for v in value)
        elif kind in ("bool", "negated_bool"):
            valid = isinstance(value, bool)
        elif kind == "number":
            valid = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            valid = isinstance(value, str)
        if not valid:
            raise DomainError(where + _("值的类型不对。"), field="conditions")
    return conditions


def rule_condition(condition: dict) -> Q:
    path, kind = RULE_FIELDS[condition["field"]]
    lookup = OPERATORS[kind][condition["op"]]
    value = condition["value"]
    if kind == "negated_bool":
        value = not value
    q = Q(**{f"{path}__{lookup}": value})
    return ~q if condition["op"] == "ne" else q


def rule_customers(rule: TagRule) -> QuerySet[Customer]:
    conditions = [rule_condition(c) for c in rule.conditions]
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition if rule.match == TagRule.Match.ALL else combined | condition
    return Customer.objects.filter(combined)


def _sync_links(*, tag: Tag, wanted: dict[int, tuple[float, str]], source: str) -> dict[str, int]:
    """Make the links of `tag` with `source` exactly `wanted` (customer → weight, why)."""
    existing = dict(
        CustomerTag.objects.filter(tag=tag, source=source).values_list("customer_id", "pk")
    )
    stale = [pk for customer_id, pk in existing.items() if customer_id not in wanted]
    CustomerTag.objects.filter(pk__in=stale).delete()
    CustomerTag.objects.bulk_create(
        [
            CustomerTag(customer_id=cid, tag=tag, weight=w, source=source, explanation=why)
            for cid, (w, why) in wanted.items()
        ],
        update_conflicts=True,
        unique_fields=["customer", "tag"],
        update_fields=["weight", "source", "explanation", "assigned_at"],
        batch_size=2000,
    )
    return {"added": len(set(wanted) - set(existing)), "removed": len(stale)}


@transaction.atomic
def do_rule_tags_apply() -> dict[str, dict[str, int]]:
    """Apply every active rule: tag the customers it matches, untag the ones it no longer does."""
    results = {}
    for rule in TagRule.objects.select_related("tag"):
        matching = set(rule_customers(rule).values_list("pk", flat=True)) if rule.active else set()
        why = _("符合规则：%(n)d 个条件") % {"n": len(rule.conditions)}
        wanted = {pk: (rule.weight, why) for pk in matching}
        results[rule.tag.name] = _sync_links(tag=rule.tag, wanted=wanted, source=TagSource.RULE)
    return results


@transaction.atomic
def do_tag_rule_save(*, actor, name: str, conditions, match: str = "all", weight: float = 1.0):
    check_permission(actor, "customers.add_tagrule")
    name = check_text((name or "").strip(), field="name", max_length=64)
    if not name:
        raise DomainError(_("标签名称不能为空。"), field="name")
    if match not in TagRule.Match.values:
        raise DomainError(_("匹配方式必须是 all 或 any。"), field="match")
    check_tag_rule(conditions)
    tag, _created = Tag.objects.get_or_create(name=name, defaults={"source": TagSource.RULE})
    if tag.source != TagSource.RULE:
        raise DomainError(_("已有同名的非规则标签。"), field="name", code="duplicate")
    rule, _created = TagRule.objects.update_or_create(
        tag=tag, defaults={"conditions": conditions, "match": match, "weight": weight}
    )
    return rule


@transaction.atomic
def do_manual_tag(*, actor, customer: Customer, name: str, weight: float = 1.0) -> CustomerTag:
    check_permission(actor, "customers.change_customer")
    name = check_text((name or "").strip(), field="name")
    if not name or len(name) > 64:
        raise DomainError(_("标签名称不能为空，且不超过 64 个字符。"), field="name")
    if not 0 < weight <= 10:
        raise DomainError(_("权重必须大于 0 且不超过 10。"), field="weight")
    tag, _created = Tag.objects.get_or_create(name=name, defaults={"source": TagSource.MANUAL})
    if tag.source != TagSource.MANUAL:
        raise DomainError(_("该标签由系统计算，不能手工添加。"), field="name")
    link, _created = CustomerTag.objects.update_or_create(
        customer=customer,
        tag=tag,
        defaults={"weight": weight, "source": TagSource.MANUAL, "assigned_by": actor},
    )
    return link


# RFM [002]: R high = bought more recently than average, F and M high = above average.
RFM_SEGMENTS = {
    (True, True, True): "重要价值客户",
    (False, True, True): "重要保持客户",
    (True, False, True): "重要发展客户",
    (False, False, True): "重要挽留客户",
    (True, True, False): "一般价值客户",
    (False, True, False): "一般保持客户",
    (True, False, False): "一般发展客户",
    (False, False, False): "一般挽留客户",
}


def quintile_scores(values: list) -> list[int]:
    """1–5 by quintile of rank; equal values get equal scores; bigger value, bigger score."""
    ordered = sorted(values)
    n = len(ordered)
    return [1 + min(4, 5 * bisect_left(ordered, value) // n) for value in values]


def rfm_rows(stats: list[tuple[int, int, int, Decimal]]) -> list[dict]:
    """From (customer, recency days, frequency, monetary) to scores and segment."""
    if not stats:
        return []
    recency = [-days for _pk, days, _f, _m in stats]  # fewer days is better
    r_scores = quintile_scores(recency)
    f_scores = quintile_scores([f for _pk, _d, f, _m in stats])
    m_scores = quintile_scores([m for _pk, _d, _f, m in stats])
    n = len(stats)
    mean_days = sum(d for _pk, d, _f, _m in stats) / n
    mean_f = sum(f for _pk, _d, f, _m in stats) / n
    mean_m = sum(m for _pk, _d, _f, m in stats) / n
    rows = []
    for i, (pk, days, frequency, monetary) in enumerate(stats):
        key = (days < mean_days, frequency > mean_f, monetary > mean_m)
        rows.append(
            {
                "customer_id": pk,
                "recency_days": days,
                "frequency": frequency,
                "monetary": monetary,
                "r_score": r_scores[i],
                "f_score": f_scores[i],
                "m_score": m_scores[i],
                "segment": RFM_SEGMENTS[key],
            }
        )
    return rows


def rfm_stats(*, now: datetime, window_days: int) -> list[tuple[int, int, int, Decimal]]:
    purchases = (
        Transaction.objects.filter(
            occurred_at__gte=now - timedelta(days=window_days),
            occurred_at__lte=now,
            state__in=Transaction.COUNTED_STATES,
        )
        .values("customer_id")
        .annotate(last=Max("occurred_at"), count=Count("id"), total=Sum("amount"))
        .order_by("customer_id")
    )
    return [
        (row["customer_id"], max((now - row["last"]).days, 0), row["count"], row["total"])
        for row in purchases
    ]


@transaction.atomic
def do_rfm_recompute(*, now: datetime | None = None) -> dict[str, int]:
    """Recompute RFM for customers who bought in the tier window, and their segment tags."""
    now = now or timezone.now()
    window_days = round(TierRule.current().window_months * 30.44)
    rows = rfm_rows(rfm_stats(now=now, window_days=window_days))
    CustomerRFM.objects.exclude(customer_id__in=[r["customer_id"] for r in rows]).delete()
    CustomerRFM.objects.bulk_create(
        [CustomerRFM(computed_at=now, **row) for row in rows],
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=[
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "segment",
            "computed_at",
        ],
        batch_size=2000,
    )
    counts = {}
    for segment in RFM_SEGMENTS.values():
        tag, _created = Tag.objects.get_or_create(
            name=segment,
            defaults={"source": TagSource.STATISTICAL, "description": _("RFM 分群")},
        )
        wanted = {
            r["customer_id"]: (
                (r["r_score"] + r["f_score"] + r["m_score"]) / 15,
                f"R{r['r_score']} F{r['f_score']} M{r['m_score']}",
            )
            for r in rows
            if r["segment"] == segment
        }
        _sync_links(tag=tag, wanted=wanted, source=TagSource.STATISTICAL)
        counts[segment] = len(wanted)
    return counts


@transaction.atomic
def do_manual_tag_remove(*, actor, customer: Customer, name: str) -> None:
    """Remove a manual tag; computed tags go only when their job no longer finds them."""
    check_permission(actor, "customers.change_customer")
    deleted, _rows = CustomerTag.objects.filter(
        customer=customer, tag__name=name, source=TagSource.MANUAL
    ).delete()
    if not deleted:
        raise DomainError(_("该客户没有这个手工标签。"), field="name")
