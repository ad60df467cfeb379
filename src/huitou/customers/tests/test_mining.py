from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.customers.mining import describe, do_mined_tags_recompute
from huitou.customers.models import CustomerTag, Transaction
from huitou.customers.tagging import do_rfm_recompute
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.tests.factories import TicketFactory


def test_cluster_names_say_what_sets_them_apart():
    means = [100, 3, 7, 1, 0.2]
    assert describe([10, 8, 9, 1, 0], means) == "挖掘群：高消费·常购买·近期活跃"
    assert describe([300, 1, 4, 3, 2], means) == "挖掘群：低消费·少购买·久未购买·多投诉"


@pytest.mark.django_db
def test_mined_tags_group_similar_customers():
    now = timezone.now()
    loyal = CustomerFactory.create_batch(6)
    gone = CustomerFactory.create_batch(6)
    for customer in loyal:
        for days in (2, 10, 20, 30, 40):
            Transaction.objects.create(
                customer=customer,
                occurred_at=now - timedelta(days=days),
                product="滤芯",
                amount=3000,
            )
    for customer in gone:
        Transaction.objects.create(
            customer=customer, occurred_at=now - timedelta(days=330), product="电视", amount=200
        )
        TicketFactory.create_batch(2, customer=customer, type="complaint")
    do_rfm_recompute(now=now)
    counts = do_mined_tags_recompute(now=now)
    assert sum(counts.values()) == 12

    def mined(customer):
        return CustomerTag.objects.get(customer=customer, source="mined").tag.name

    assert len({mined(c) for c in loyal}) == 1
    assert mined(loyal[0]) != mined(gone[0])
    assert "高消费" in mined(loyal[0]) and "多投诉" in mined(gone[0])
    # Recomputing gives the same tags (seeded k-means).
    assert do_mined_tags_recompute(now=now) == counts


@pytest.mark.django_db
def test_too_few_customers_get_no_mined_tags():
    customer = CustomerFactory()
    Transaction.objects.create(customer=customer, occurred_at=timezone.now(), product="x", amount=1)
    do_rfm_recompute()
    assert do_mined_tags_recompute() == {}
    assert not CustomerTag.objects.filter(source="mined").exists()
