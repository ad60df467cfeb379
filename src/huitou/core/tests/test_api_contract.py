"""Issue 12, points 8, 9, 10 and the JSON-only half of 1: bad input is a 4xx naming the field,
every API error is JSON {"detail": ...} with its documented status, text is bounded."""

import json

import pytest
from django.test import Client

from huitou.accounts.models import Department
from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.phrases import do_default_phrases_load
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

SURROGATE = "坏\ud800字"  # json.dumps writes it as \ud800: valid JSON, invalid UTF-8
NUL = "坏\x00字"


def _field(response) -> str:
    """The field a 422 names (the last part of its loc)."""
    assert response.status_code == 422, response.content
    return response.json()["detail"][0]["loc"][-1]


@pytest.fixture
def agent(db):
    return UserFactory(role="agent", department=Department.objects.create(name="客服中心"))


@pytest.fixture
def admin(db):
    return UserFactory(role="admin")


# --- point 8: text and datetimes checked once, in the schemas -----------------------------------


@pytest.mark.parametrize("role", ["agent", "supervisor", "qa", "manager", "admin"])
def test_standard_phrases_answer_for_every_role(api_as, role):
    do_default_phrases_load()
    ticket = TicketFactory(type="complaint")  # no promised date: some phrases unavailable
    response = api_as(UserFactory(role=role)).get("phrases/standard", ticket=ticket.pk)
    assert response.status_code == 200, response.content
    phrases = [phrase for group in response.json() for phrase in group["phrases"]]
    assert any(not phrase["available"] and phrase["reason"] for phrase in phrases)


@pytest.mark.parametrize("bad", [SURROGATE, NUL, "坏\x1b字"])
@pytest.mark.parametrize(
    "who, path, payload, field",
    [
        ("agent", "tickets", {"subject": "{bad}"}, "subject"),
        ("agent", "tickets", {"description": "{bad}"}, "description"),
        ("agent", "tickets/{ticket}/messages", {"body": "{bad}"}, "body"),
        ("agent", "customers", {"name": "{bad}"}, "name"),
        ("agent", "customers/{customer}/tags", {"name": "{bad}"}, "name"),
        ("admin", "departments", {"name": "{bad}"}, "name"),
        ("admin", "users", {"username": "{bad}"}, "username"),
    ],
)
def test_unsafe_characters_in_json_text_are_422_naming_the_field(
    api_as, agent, admin, who, path, payload, field, bad
):
    customer = CustomerFactory()
    ticket = TicketFactory(customer=customer)
    base = {
        "tickets": {"customer": customer.pk, "channel": "phone", "type": "consultation",
                    "subject": "冰箱", "description": ""},
        "customers": {"name": "张三"},
        "users": {"username": "x", "password": "Correct-horse-9", "role": "agent"},
    }.get(path, {})  # fmt: skip
    data = {**base, **{key: value.replace("{bad}", bad) for key, value in payload.items()}}
    url = path.format(ticket=ticket.pk, customer=customer.pk)
    response = api_as(agent if who == "agent" else admin).post(url, data)
    assert _field(response) == field


@pytest.mark.parametrize("param", ["q", "tag"])
def test_nul_in_customer_search_is_422(api_as, agent, param):
    assert _field(api_as(agent).get("customers", **{param: NUL})) == param


def test_nul_in_a_tag_name_path_is_refused(api_as, agent):
    customer = CustomerFactory()
    response = api_as(agent).delete(f"customers/{customer.pk}/tags/%00bad")
    assert response.status_code == 422


@pytest.mark.parametrize("moment", ["2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00-23:30"])
def test_utc_offsets_beyond_1559_are_422(api_as, admin, moment):
    customer = CustomerFactory()
    client = api_as(admin)
    transaction = {"occurred_at": moment, "product": "冰箱", "amount": "1.00"}
    assert _field(client.post(f"customers/{customer.pk}/transactions", transaction)) == (
        "occurred_at"
    )
    assert _field(client.get("customers/tiers/distribution", at=moment)) == "at"
    override = {"tier": "A", "reason": "大客户", "expires_at": moment}
    assert _field(client.post(f"customers/{customer.pk}/tier-override", override)) == ("expires_at")


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_years_far_from_now_are_422_for_transactions_and_due_dates(api_as, admin, year):
    customer = CustomerFactory()
    client = api_as(admin)
    transaction = {"occurred_at": f"{year}-06-01T08:00:00+08:00", "product": "冰箱", "amount": "1"}
    assert _field(client.post(f"customers/{customer.pk}/transactions", transaction)) == (
        "occurred_at"
    )
    department = Department.objects.create(name="售后服务部")
    from huitou.tickets.services import do_ticket_create

    complaint = do_ticket_create(
        actor=admin, customer=customer, channel="phone", type="complaint", subject="漏水"
    )
    dispatch = {"department": department.pk, "due_at": f"{year}-06-01T08:00:00+08:00"}
    assert _field(client.post(f"complaints/{complaint.pk}/dispatch", dispatch)) == "due_at"


def test_a_sane_offset_and_year_still_work(api_as, admin):
    customer = CustomerFactory()
    transaction = {"occurred_at": "2025-06-01T08:00:00+15:59", "product": "冰箱", "amount": "1"}
    response = api_as(admin).post(f"customers/{customer.pk}/transactions", transaction)
    assert response.status_code == 201, response.content


# --- point 9: every error is JSON with the documented status ------------------------------------


@pytest.mark.parametrize("token", [None, "not-a-real-token"])
def test_anonymous_or_bad_token_writes_are_401_not_csrf_403(token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/tickets", data="{}", content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_session_write_without_the_csrf_token_is_still_403(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post("/api/v1/notifications/read", data="{}", content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_api_paths_are_json_404_for_every_method(method):
    response = getattr(Client(enforce_csrf_checks=True), method)("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not Found"}


def test_a_wrong_method_is_json_405(api_as, agent):
    response = api_as(agent).put("me", {})
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


def test_an_unhandled_error_is_json_500_without_a_traceback(api_as, agent, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("huitou.core.api.user_notifications", broken)
    response = api_as(agent).get("notifications")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert "secret internals" not in response.content.decode()
    assert "secret internals" in caplog.text  # logged for the operator


def test_a_body_over_the_limit_is_json_413(api_as, agent, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(agent).post("phrases/check", {"text": "长" * 2000})
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large"}


def test_the_openapi_schema_documents_the_error_statuses(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "429" in codes, (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method != "get":
                assert {"409", "422"} <= codes, (method, path)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert "415" in codes, (method, path)
    ask = schema["paths"]["/api/v1/bot/ask"]["post"]["responses"]
    assert "401" not in ask  # public


# --- point 1: JSON endpoints take JSON only -----------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_the_public_bot_refuses_non_json_bodies(content_type):
    body = json.dumps({"question": "空调漏水怎么办"})
    response = Client().post("/api/v1/bot/ask", data=body, content_type=content_type)
    assert response.status_code == 415
    assert response.json() == {"detail": "Content-Type must be application/json"}


def test_an_authenticated_json_endpoint_refuses_text_plain(api_as, agent):
    client = api_as(agent)
    response = client.client.post(
        "/api/v1/phrases/check", data='{"text": "你好"}', content_type="text/plain",
        headers=client.headers,
    )  # fmt: skip
    assert response.status_code == 415


# --- point 10: every text field bounded ---------------------------------------------------------


@pytest.mark.parametrize(
    "path, payload, field",
    [
        ("tickets", {"description": "长" * 20_001}, "description"),
        ("tickets", {"subject": "长" * 201}, "subject"),
        ("tickets/{ticket}/messages", {"body": "长" * 20_001}, "body"),
        ("customers", {"note": "长" * 5_001}, "note"),
        ("customers", {"needs": "长" * 5_001}, "needs"),
    ],
)
def test_long_text_is_422_naming_the_field(api_as, agent, path, payload, field):
    customer = CustomerFactory()
    ticket = TicketFactory(customer=customer)
    base = {
        "tickets": {"customer": customer.pk, "channel": "phone", "type": "consultation",
                    "subject": "冰箱"},
        "customers": {"name": "张三"},
    }.get(path, {})  # fmt: skip
    url = path.format(ticket=ticket.pk)
    assert _field(api_as(agent).post(url, {**base, **payload})) == field


def test_the_services_bound_text_too_so_the_ui_refuses_the_same(agent):
    from huitou.core.errors import DomainError
    from huitou.customers.services import do_customer_create
    from huitou.tickets.services import do_ticket_create

    with pytest.raises(DomainError) as error:
        do_ticket_create(
            actor=agent, customer=CustomerFactory(), channel="phone", type="consultation",
            subject="冰箱", description="长" * 20_001,
        )  # fmt: skip
    assert error.value.field == "description"
    with pytest.raises(DomainError) as error:
        do_customer_create(actor=agent, name="张三", note="长" * 5_001)
    assert error.value.field == "note"
    with pytest.raises(DomainError) as error:
        do_customer_create(actor=agent, name="坏\x1b字")
    assert error.value.field == "name"
