"""Mined tags [SPEC §1, 002]: cluster customers on RFM and service behaviour (k-means).

Each cluster becomes a tag named after what sets it apart from the average customer
(e.g. 挖掘群：高消费·常购买·近期活跃), so the portrait stays readable without a data analyst.
"""

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Customer, CustomerRFM, Tag, TagSource
from .tagging import _sync_links

CLUSTERS = 4
MIN_CUSTOMERS = 8  # fewer than this and clusters say nothing
FEATURES = ["recency_days", "frequency", "monetary", "tickets", "complaints"]


def customer_features(*, now: datetime) -> tuple[list[int], list[list[float]]]:
    """Customers with RFM figures and their features (money on a log scale)."""
    since = now - timedelta(days=365)
    service = dict(
        (pk, (tickets, complaints))
        for pk, tickets, complaints in Customer.objects.filter(rfm__isnull=False)
        .annotate(
            n_tickets=Count("tickets", filter=Q(tickets__created_at__gte=since)),
            n_complaints=Count(
                "tickets",
                filter=Q(tickets__created_at__gte=since, tickets__type="complaint"),
            ),
        )
        .values_list("pk", "n_tickets", "n_complaints")
    )
    ids, rows = [], []
    for pk, days, frequency, monetary in CustomerRFM.objects.order_by("customer_id").values_list(
        "customer_id", "recency_days", "frequency", "monetary"
    ):
        tickets, complaints = service.get(pk, (0, 0))
        ids.append(pk)
        rows.append([days, frequency, math.log1p(float(monetary)), tickets, complaints])
    return ids, rows


def describe(centroid: list[float], means: list[float]) -> str:
    days, frequency, money, _tickets, complaints = centroid
    parts = [
        _("高消费") if money > means[2] else _("低消费"),
        _("常购买") if frequency > means[1] else _("少购买"),
        _("近期活跃") if days < means[0] else _("久未购买"),
    ]
    if complaints > max(means[4], 0.0) and complaints >= 0.5:
        parts.append(_("多投诉"))
    return _("挖掘群：") + "·".join(parts)


@transaction.atomic
def do_mined_tags_recompute(*, now: datetime | None = None) -> dict[str, int]:
    """Cluster customers and tag each with their cluster's description (weight = closeness)."""
    # Lazy: scikit-learn takes seconds to import; only the nightly mining task needs it.
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    now = now or timezone.now()
    ids, rows = customer_features(now=now)
    wanted: dict[str, dict[int, tuple[float, str]]] = {}
    if len(ids) >= MIN_CUSTOMERS:
        data = np.array(rows, dtype=float)
        scaled = StandardScaler().fit_transform(data)
        # Never more clusters than distinct customers' profiles.
        clusters = min(CLUSTERS, len(np.unique(scaled, axis=0)))
        model = KMeans(n_clusters=clusters, n_init=10, random_state=0).fit(scaled)
        distances = model.transform(scaled).min(axis=1)
        means = data.mean(axis=0).tolist()
        for cluster in range(clusters):
            members = np.flatnonzero(model.labels_ == cluster)
            if not len(members):
                continue
            name = describe(data[members].mean(axis=0).tolist(), means)
            explanation = _("k-means 第 %(n)d 群（%(size)d 人）") % {
                "n": cluster + 1,
                "size": len(members),
            }
            for index in members:
                weight = round(1 / (1 + float(distances[index])), 3)
                wanted.setdefault(name, {})[ids[index]] = (weight, explanation)
    counts = {}
    for name, links in wanted.items():
        tag, _created = Tag.objects.get_or_create(
            name=name, defaults={"source": TagSource.MINED, "description": _("聚类挖掘")}
        )
        _sync_links(tag=tag, wanted=links, source=TagSource.MINED)
        counts[name] = len(links)
    # Clusters that no longer exist lose their customers.
    for tag in Tag.objects.filter(source=TagSource.MINED).exclude(name__in=list(wanted)):
        _sync_links(tag=tag, wanted={}, source=TagSource.MINED)
    return counts
