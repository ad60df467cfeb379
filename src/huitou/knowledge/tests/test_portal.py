import pytest

from huitou.demo.kb import load_demo_faq
from huitou.knowledge.models import FaqEntry
from huitou.knowledge.services import do_faq_save
from huitou.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def kb():
    do_faq_save(actor=None, category="物流", question="运费怎么算？", answer="满 99 元包邮。",
                similar=["邮费多少"])  # fmt: skip
    draft, _ = do_faq_save(actor=None, category="物流", question="内部草稿问题？", answer="x",
                           status="draft")  # fmt: skip
    return draft


def test_the_portal_shows_published_entries_and_searches_with_the_engine(client, kb):
    page = client.get("/help/").content.decode()
    assert "运费怎么算？" in page and "内部草稿问题？" not in page
    found = client.get("/help/", {"q": "邮费要多少"}).content.decode()
    assert 'id="search-results"' in found and "运费怎么算？" in found
    assert client.get(f"/help/faq/{kb.pk}/").status_code == 404  # drafts are not shown


def test_a_visitor_votes_once(client, kb):
    entry = FaqEntry.objects.get(question="运费怎么算？")
    client.post(f"/help/faq/{entry.pk}/vote/", {"helpful": "1"})
    client.post(f"/help/faq/{entry.pk}/vote/", {"helpful": "0"})
    entry.refresh_from_db()
    assert (entry.helpful_votes, entry.unhelpful_votes) == (1, 0)
    assert 'id="vote-thanks"' in client.get(f"/help/faq/{entry.pk}/").content.decode()


def test_still_need_help_files_a_web_ticket(client, kb):
    bad = client.post("/help/ticket/", {"name": "", "question": "发票怎么开"})
    assert bad.status_code == 422
    response = client.post(
        "/help/ticket/",
        {"name": "王先生", "phone": "13800138000", "question": "发票怎么开", "details": "公司抬头"},
    )
    ticket = Ticket.objects.get()
    assert ticket.number in response.content.decode()
    assert (ticket.channel, ticket.subject, ticket.contact_phone, ticket.contact_status) == (
        "web", "发票怎么开", "13800138000", "unverified",
    )  # fmt: skip
    assert ticket.customer.phone == ""  # an unproven number stays off every customer record


def test_agent_assist_offers_faq_answers_on_the_ticket_page(client, kb):
    from huitou.accounts.tests.factories import UserFactory
    from huitou.tickets.services import do_customer_message_add
    from huitou.tickets.tests.factories import TicketFactory

    ticket = TicketFactory(subject="咨询", description="")
    do_customer_message_add(ticket=ticket, body="邮费要多少钱？")
    client.force_login(UserFactory(role="agent"))
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="faq-assist"' in page and 'data-phrase="满 99 元包邮。"' in page


@pytest.fixture
def appliance_kb():
    load_demo_faq()


@pytest.mark.parametrize("query", ["运费怎么算", "电视黑屏了", "手机怎么充值"])
def test_an_unrelated_search_shows_no_results_and_offers_help(client, appliance_kb, query):
    page = client.get("/help/", {"q": query}).content.decode()
    results = page.split('id="search-results"')[1].split("</section>")[0]
    assert "<ol>" not in results  # not the five nearest entries, however far
    assert "没有找到相关答案" in results
    assert 'id="still-need-help"' in results and "/help/ticket/?q=" in results


def test_a_related_search_still_finds_its_entry(client, appliance_kb):
    page = client.get("/help/", {"q": "空调漏水了怎么办"}).content.decode()
    results = page.split('id="search-results"')[1].split("</section>")[0]
    assert results.index("空调漏水怎么办？") > 0
    assert "冰箱不制冷怎么办？" not in results and "没有找到相关答案" not in results


def test_the_portal_logo_stays_on_the_portal(client, appliance_kb):
    for url in ("/help/", "/help/?q=空调漏水"):
        page = client.get(url).content.decode()
        brand = page.split('class="brand"')[1].split(">")[0]
        assert 'href="/help/"' in brand
