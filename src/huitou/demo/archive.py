"""The demo's purchases, and the archive jobs run once over them (tiers, RFM, clusters).

Purchases follow each customer's planned tier, so a nightly tier recompute keeps the demo
believable instead of turning everyone into D.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from huitou.customers.mining import do_mined_tags_recompute
from huitou.customers.models import Customer, Stage, Transaction
from huitou.customers.tagging import do_rfm_recompute
from huitou.customers.tiers import do_tier_recompute

from . import phrases as ph

SEED = 2027
# (purchases in the last year, profit per purchase) by tier.
TIER_SPENDING = {
    "A": ((4, 9), (3000, 9000)),
    "B": ((2, 5), (1500, 4000)),
    "C": ((1, 3), (500, 2000)),
    "D": ((0, 1), (50, 400)),
}


def load_demo_purchases(*, customers: list[Customer], now: datetime) -> int:
    rng = random.Random(SEED)
    purchases = []
    for customer in customers:
        if customer.stage not in (Stage.CURRENT, Stage.LOST):
            continue  # prospects have not bought yet
        (low, high), (min_profit, max_profit) = TIER_SPENDING[customer.tier]
        # Lost customers stopped buying a while ago.
        newest = 200 if customer.stage == Stage.LOST else 1
        for _ in range(rng.randint(low, high)):
            product = rng.choice(list(ph.PRODUCTS))
            profit = Decimal(rng.randint(min_profit, max_profit))
            purchases.append(
                Transaction(
                    customer=customer,
                    occurred_at=now - timedelta(days=rng.uniform(newest, 360)),
                    product=f"{product} {rng.choice(ph.PRODUCTS[product])}",
                    quantity=1,
                    amount=profit * rng.choice([4, 5, 6]),
                    profit=profit,
                    channel=rng.choice(["门店", "官方商城", "京东", "天猫", "电话订购"]),
                    state=Transaction.State.COMPLETED,
                )
            )
    Transaction.objects.bulk_create(purchases, batch_size=1000)
    return len(purchases)


def run_archive_jobs(*, now: datetime) -> None:
    """What the nightly jobs would do, so the demo's portraits are not empty on day one."""
    do_tier_recompute(now=now)
    do_rfm_recompute(now=now)
    do_mined_tags_recompute(now=now)
