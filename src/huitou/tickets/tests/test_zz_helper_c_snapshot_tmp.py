"""TEMPORARY (helper C): snapshots of the ticket page before/after the panel refactor."""
import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.tests.factories import make_complaint
from huitou.customers.tests.factories import CustomerFactory
from huitou.knowledge.services import do_faq_save
from huitou.tickets.services import do_customer_message_add, do_ticket_create

pytestmark = pytest.mark.django_db
OUT = Path(os.environ.get("SNAP_DIR", "/tmp/c_snap/x"))


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def snap(client, name, url, method="get", data=None, follow=False):
    OUT.mkdir(parents=True, exist_ok=True)
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {}, follow=follow)
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    (OUT / f"{name}.html").write_text(html)
    (OUT / f"{name}.queries").write_text(
        f"{response.status_code} {len(queries)}\n"
        + "\n".join(q["sql"] for q in queries.captured_queries)
    )
    return response


def test_snapshots(client):
    do_faq_save(actor=None, category="物流", question="运费怎么算？", answer="满 99 元包邮。",
                similar=["邮费多少"])  # fmt: skip
    aftersales = DepartmentFactory(name="售后服务部")
    agent = UserFactory(role="agent", username="agent1")
    supervisor = UserFactory(role="supervisor", username="sup1")
    handler = UserFactory(role="handler", department=aftersales, username="handler1")
    customer = CustomerFactory(name="张三", personality="powerful")
    consult = do_ticket_create(
        actor=agent, customer=customer, channel="web", type="consultation", subject="咨询运费"
    )
    do_customer_message_add(ticket=consult, body="邮费要多少钱？")
    complaint = make_complaint(actor=agent, customer=customer)
    client.force_login(agent)
    snap(client, "consult_agent", f"/tickets/{consult.pk}/")
    snap(client, "complaint_agent", f"/tickets/{complaint.pk}/")
    # forbidden phrase draft for the complaint answer
    client.post(f"/complaints/{complaint.pk}/answer/", {"body": "这是本公司的规定，我们也没办法。"})
    snap(client, "complaint_agent_draft", f"/tickets/{complaint.pk}/")
    # reply draft refused for forbidden phrase
    client.post(f"/tickets/{consult.pk}/reply/", {"body": "这是本公司的规定，我们也没办法。", "public": "on"})
    snap(client, "consult_agent_reply_draft", f"/tickets/{consult.pk}/")
    snap(client, "consult_update_422", f"/tickets/{consult.pk}/update/", "post", {"priority": "bogus"})
    client.force_login(supervisor)
    snap(client, "consult_supervisor", f"/tickets/{consult.pk}/")
    snap(client, "complaint_supervisor", f"/tickets/{complaint.pk}/")
    client.post(f"/complaints/{complaint.pk}/dispatch/", {"department": aftersales.pk, "note": "请上门", "due_at": ""})
    client.force_login(handler)
    snap(client, "complaint_handler", f"/tickets/{complaint.pk}/")
    client.force_login(agent)
    snap(client, "complaint_agent_dispatched", f"/tickets/{complaint.pk}/")
    # a 403 from the complaint flow: agent tries accept (process_dispatch perm missing?)
    snap(client, "complaint_accept_by_agent", f"/complaints/{complaint.pk}/accept/", "post")
    snap(client, "transfer_by_agent", f"/sla/transfer/{consult.pk}/", "post", {"assignee": handler.pk, "reason": "x"})
    client.force_login(handler)
    snap(client, "transfer_by_handler", f"/sla/transfer/{complaint.pk}/", "post", {"assignee": agent.pk, "reason": "x"})
    snap(client, "complaint_handler_after", f"/tickets/{complaint.pk}/")
