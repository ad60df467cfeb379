"""A bounded schemathesis run over the whole OpenAPI schema, as admin, agent and handler.

Every operation gets a few generated requests (deterministic: derandomized, no example
database, no shrinking), half of them aimed at the seeded records' ids. A request fails the
test when the server answers 5xx, when a response does not match its documented schema, or
when its status is not documented for the operation. Each request runs in a savepoint that is
rolled back, so every request meets the same seeded records (and a database error cannot
poison the rest of the run on PostgreSQL).

HUITOU_FUZZ_EXAMPLES raises the number of requests per operation for a longer local run.
"""

import os
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from huitou.accounts.models import Department
from huitou.accounts.services import do_token_create
from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.models import Complaint, CrisisAlert
from huitou.complaints.services import do_complaint_dispatch
from huitou.core.notifications import do_notify
from huitou.customers.services import do_customer_create, do_transaction_record
from huitou.customers.tagging import do_manual_tag
from huitou.mail.services import do_mailbox_create
from huitou.tickets.phrases import do_default_phrases_load
from huitou.tickets.services import do_message_add, do_ticket_create

EXAMPLES = int(os.environ.get("HUITOU_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture
def seeded(db, settings):
    """Staff in two departments, a customer with a transaction and a tag, a ticket with a
    message, a dispatched complaint, a crisis alert and a notification per user."""
    settings.HUEY = {**settings.HUEY, "immediate": True}
    centre, _ = Department.objects.get_or_create(name="客服中心")
    department, _ = Department.objects.get_or_create(name="售后服务部")
    users = {
        role: UserFactory(
            username=f"fuzz_{role}",
            role=role,
            department=department if role == "handler" else centre,
        )
        for role in ("admin", "agent", "handler")
    }
    agent = users["agent"]
    do_default_phrases_load()
    customer = do_customer_create(actor=agent, name="周建国", phone="13512345678", gender="male")
    do_transaction_record(
        actor=agent,
        customer=customer,
        occurred_at=timezone.now() - timedelta(days=3),
        product="冰箱",
        amount="3999.00",
    )
    do_manual_tag(actor=agent, customer=customer, name="老客户")
    ticket = do_ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        type="consultation",
        subject="冰箱保修期多久",
        description="客户来电咨询。",
        department=department,
        assignee=agent,
    )
    do_message_add(actor=agent, ticket=ticket, body="您好，保修三年。", public=True)
    complaint_ticket = do_ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        type="complaint",
        subject="冰箱安装后漏水",
        description="装好第二天就漏水。",
    )
    complaint = Complaint.objects.get(pk=complaint_ticket.pk)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=department, note="请处理")
    alert = CrisisAlert.objects.create(
        kind=CrisisAlert.Kind.PUBLICITY, window_start=timezone.now() - timedelta(hours=1)
    )
    alert.complaints.add(complaint)
    notification = do_notify(recipients=list(users.values()), kind="test", title="提醒")[0]
    mailbox = do_mailbox_create(
        actor=users["admin"], address="service@huitou.example", imap_password="secret"
    )
    ids = {
        "ticket_id": [ticket.pk, complaint_ticket.pk],
        "customer_id": [customer.pk],
        "alert_id": [alert.pk],
        "notification_id": [notification.pk],
        "user_id": [user.pk for user in users.values()],
        "name": ["老客户"],
        "mailbox_id": [mailbox.pk],
    }
    return users, ids


def _strategy(operation, ids: dict):
    """Free generation, or the same with the path's ids set to seeded records."""
    free = operation.as_strategy()
    names = [p.name for p in operation.path_parameters]
    if names and all(name in ids for name in names):
        aimed = st.fixed_dictionaries({name: st.sampled_from(ids[name]) for name in names})
        return st.one_of(aimed.flatmap(lambda v: operation.as_strategy(path_parameters=v)), free)
    if any(p.name == "ticket" and p.is_required for p in operation.query):
        aimed = st.sampled_from(ids["ticket_id"])
        return st.one_of(
            aimed.map(lambda pk: operation.as_strategy(query={"ticket": pk})).flatmap(lambda s: s),
            free,
        )
    return free


@pytest.fixture
def keep_connection():
    """Django's WSGI handler closes the database connection after each request (the test
    client avoids that the same way): the test's transaction must outlive the requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["admin", "agent", "handler"])
def test_the_api_answers_every_generated_request_as_documented(seeded, keep_connection, role):
    from huitou.config.wsgi import application

    users, ids = seeded
    _token, raw = do_token_create(user=users[role])
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, ids))
        def run(case):
            savepoint = transaction.savepoint()
            try:
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS)
            finally:
                transaction.savepoint_rollback(savepoint)

        try:
            run()
        except Exception as error:
            failures.append(f"{operation.label}: {error}"[:3000])

    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
