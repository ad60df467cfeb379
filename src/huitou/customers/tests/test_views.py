import pytest
from django.urls import reverse

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.tests.factories import TicketFactory


@pytest.mark.django_db
def test_customer_page_shows_profile_and_tickets(client):
    client.force_login(UserFactory(role="agent"))
    customer = CustomerFactory(name="周杰", tier="A", city="杭州")
    ticket = TicketFactory(customer=customer, subject="热水器不加热")
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "周杰" in html and customer.number in html and "杭州" in html
    assert ticket.number in html


@pytest.mark.django_db
def test_customer_list_search(client):
    client.force_login(UserFactory(role="agent"))
    wanted = CustomerFactory(name="欧阳娜")
    other = CustomerFactory(name="张伟")
    html = client.get(reverse("customers:list"), {"q": "欧阳"}).content.decode()
    assert wanted.number in html and other.number not in html


@pytest.mark.django_db
def test_customer_edit_records_history(client):
    client.force_login(UserFactory(role="agent"))
    customer = CustomerFactory(tier="C")
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "name": customer.name,
            "kind": "individual",
            "phone": customer.phone,
            "tier": "B",
            "stage": "current",
            "gender": "",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.tier == "B"


@pytest.mark.django_db
def test_qa_cannot_edit_customers(client):
    client.force_login(UserFactory(role="qa"))
    customer = CustomerFactory()
    assert client.get(reverse("customers:edit", args=[customer.pk])).status_code == 403


@pytest.mark.django_db
def test_personality_guidance_beside_the_customer_and_their_ticket(client):
    client.force_login(UserFactory(role="agent"))
    customer = CustomerFactory(personality="powerful", listening_style="technical")
    ticket = TicketFactory(customer=customer)
    for url in (
        reverse("customers:detail", args=[customer.pk]),
        reverse("tickets:detail", args=[ticket.pk]),
    ):
        html = client.get(url).content.decode()
        assert "力量型" in html and "用数据和事实说话" in html and "切勿正面冲突" in html
        assert "提供事实和统计数据" in html


@pytest.mark.django_db
def test_customer_page_shows_transactions_and_tier_history(client):
    from django.utils import timezone

    from huitou.customers.models import TierChange, Transaction

    client.force_login(UserFactory(role="agent"))
    customer = CustomerFactory()
    Transaction.objects.create(
        customer=customer, occurred_at=timezone.now(), product="油烟机 CXW-200", amount=2599
    )
    TierChange.objects.create(
        customer=customer, tier="B", effective_at=timezone.now(), source="recompute"
    )
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "油烟机 CXW-200" in html
    assert "定期评级" in html


@pytest.mark.django_db
def test_customer_list_filters_loss_risk_and_page_shows_qualification(client):
    from django.utils import timezone

    client.force_login(UserFactory(role="agent"))
    at_risk = CustomerFactory(loss_risk_since=timezone.now())
    prospect = CustomerFactory(has_need=True, can_pay=False, has_authority=True)
    html = client.get(reverse("customers:list"), {"loss_risk": "true"}).content.decode()
    assert at_risk.number in html and prospect.number not in html
    html = client.get(reverse("customers:detail", args=[prospect.pk])).content.decode()
    assert "调查经营与信用" in html


@pytest.mark.django_db
def test_portrait_shows_tags_with_where_each_came_from(client):
    from huitou.customers.tagging import do_manual_tag

    agent = UserFactory(role="agent")
    client.force_login(agent)
    customer = CustomerFactory()
    do_manual_tag(actor=agent, customer=customer, name="喜欢上门服务")
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    portrait = html.split('id="portrait"')[1]
    assert "喜欢上门服务" in portrait and "手工标签" in portrait


@pytest.mark.django_db
def test_tier_overview_charts_the_distribution_over_a_year(client):
    import json

    from huitou.customers.services import do_customer_create

    agent = UserFactory(role="agent")
    client.force_login(agent)
    for name in ("甲", "乙"):
        do_customer_create(actor=agent, name=name, tier="A")
    html = client.get(reverse("customers:tiers")).content.decode()
    data = json.loads(
        html.split('id="tier-data" type="application/json">')[1].split("</script>")[0]
    )
    assert len(data["months"]) == 12
    assert data["A"][-1] == 2 and data["A"][0] == 0  # filed today: only this month
    assert "vendor/echarts.min.js" in html
    assert "年度回访" in html


@pytest.mark.django_db
def test_lost_card_logs_win_back_follow_ups(client):
    from huitou.customers.models import LossReason
    from huitou.customers.services import do_customer_create

    agent = UserFactory(role="agent")
    client.force_login(agent)
    customer = do_customer_create(
        actor=agent, name="流失客户", stage="lost", loss_reason=LossReason.objects.first()
    )
    response = client.post(
        reverse("customers:win_back", args=[customer.pk]),
        {"outcome": "interested", "note": "愿意听新的延保方案"},
    )
    assert response.status_code == 302
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "愿意听新的延保方案" in html and "有意向" in html


@pytest.mark.django_db
def test_customer_360_shows_the_tier_visit_standard(client):
    client.force_login(UserFactory(role="agent"))
    customer = CustomerFactory(tier="A")
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    care = html.split('id="care-section"')[1]
    assert "年度回访标准：24 次" in care
