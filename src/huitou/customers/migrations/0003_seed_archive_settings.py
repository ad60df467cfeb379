from django.db import migrations

LOSS_REASONS = ["反应不及时", "不方便", "不可靠", "服务态度差", "不专业", "价格原因", "转向竞争对手", "不再需要"]
# Annual visit standard of seed 000: A 24, B 12, C 6, D none.
TIER_POLICIES = [("A", 24, 40, "VIP"), ("B", 12, 30, ""), ("C", 6, 20, ""), ("D", 0, 10, "")]


def seed(apps, schema_editor):
    LossReason = apps.get_model("customers", "LossReason")
    TierPolicy = apps.get_model("customers", "TierPolicy")
    TierRule = apps.get_model("customers", "TierRule")
    Customer = apps.get_model("customers", "Customer")
    TierChange = apps.get_model("customers", "TierChange")
    for position, name in enumerate(LOSS_REASONS):
        LossReason.objects.get_or_create(name=name, defaults={"position": position})
    for tier, visits, priority, sla in TIER_POLICIES:
        TierPolicy.objects.get_or_create(
            tier=tier,
            defaults={"annual_visits": visits, "routing_priority": priority, "sla_policy": sla},
        )
    TierRule.objects.get_or_create(pk=1)
    # Existing customers start their tier history at the tier they had when filed.
    TierChange.objects.bulk_create(
        [
            TierChange(customer_id=pk, tier=tier, effective_at=created, source="initial")
            for pk, tier, created in Customer.objects.values_list("pk", "tier", "created_at")
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_archive_cards_transactions_tiers")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
