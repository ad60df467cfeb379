import re

import pytest

from huitou.core.models import OutboxMessage
from huitou.customers.tests.factories import CustomerFactory
from huitou.sms import backends as sms

EMAIL = "wang@example.com"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def wang(db):
    return CustomerFactory(name="王女士", email=EMAIL, phone="13800138000")


def last_mail() -> OutboxMessage:
    return OutboxMessage.objects.order_by("-id").first()


def last_code() -> str:
    return re.search(r"验证码是 (\d{6})", last_mail().body).group(1)


def last_link() -> str:
    return re.search(r"http://testserver(/help/account/link/[^/\s]+/)", last_mail().body).group(1)


def sign_in(client, contact: str = EMAIL):
    client.post("/help/account/", {"contact": contact})
    response = client.post("/help/account/code/", {"code": last_code()})
    assert response.status_code == 302, response.content.decode()
    return client
