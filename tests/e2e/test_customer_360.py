"""An agent opens a customer's 360 page and sets the personality; the guidance appears."""

from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from huitou.accounts.services import do_user_create
from huitou.customers.models import Customer, Transaction
from huitou.customers.services import do_customer_create

PASSWORD = "agent-password-123"


def test_agent_sees_personality_guidance_on_the_customer_360_page(page, artifacts_dir):
    agent = do_user_create(username="agent2", password=PASSWORD, role="agent", full_name="张伟")
    customer = do_customer_create(
        actor=agent, name="周建国", phone="13800138000", tier="A", stage="current"
    )
    Transaction.objects.create(
        customer=customer,
        occurred_at=timezone.now(),
        product="中央空调 KFR-120",
        amount=Decimal("25999"),
        profit=Decimal("5200"),
    )

    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("agent2")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()

    page.goto(f"/customers/{customer.pk}/")
    expect(page.locator("#service-guidance")).to_contain_text("尚未判断")
    expect(page.locator("#transactions")).to_contain_text("中央空调 KFR-120")
    expect(page.locator("#tier-history")).to_contain_text("建档")

    page.get_by_role("link", name="编辑资料").click()
    page.get_by_label("性格类型").select_option("powerful")
    page.get_by_label("倾听风格").select_option("technical")
    page.get_by_role("button", name="保存").click()

    guidance = page.locator("#service-guidance")
    expect(guidance).to_contain_text("力量型")
    expect(guidance).to_contain_text("直接、简洁、专业")
    expect(guidance).to_contain_text("切勿正面冲突")
    expect(guidance).to_contain_text("提供事实和统计数据")
    page.screenshot(path=str(artifacts_dir / "customer-360.png"), full_page=True)

    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.personality, customer.listening_style) == ("powerful", "technical")
