"""The documented sample accounts (公众号: the OA docs' safe-mode sample; 企业微信: WeCom's
callback sample) and a stand-in for WeChat's APIs on loopback."""

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.sla.models import BusinessCalendar, Queue

from .standin import Standin

OA_APP_ID = "wxb11529c136998cb6"
OA_TOKEN = "pamtest"
OA_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP_ID = "wx5823bf96d3bd56c7"
KF_TOKEN = "QDG6eK"
KF_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
OPEN_KFID = "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q"


@pytest.fixture(autouse=True)
def wechat_desk(db):
    """A WeChat queue open round the clock with an agent on duty: conversations wait for a
    person whatever time the tests run (no out-of-hours notice)."""
    hours = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    calendar = BusinessCalendar.objects.create(
        name="微信全天", timezone="Asia/Shanghai", hours=hours
    )
    queue = Queue.objects.create(
        name="微信客服", channel="wechat", strategy=Queue.Strategy.PULL, calendar=calendar, order=1
    )
    queue.members.add(UserFactory(username="wechat_agent", role="agent"))
    return queue


@pytest.fixture
def standin():
    server = Standin(oa_app_id=OA_APP_ID, corp_id=CORP_ID).start()
    yield server
    server.stop()


@pytest.fixture
def wechat(settings, standin):
    """Both accounts configured against the stand-in; returns the stand-in."""
    settings.WECHAT_OA_APP_ID = OA_APP_ID
    settings.WECHAT_OA_APP_SECRET = standin.oa_secret
    settings.WECHAT_OA_TOKEN = OA_TOKEN
    settings.WECHAT_OA_ENCODING_AES_KEY = OA_AES_KEY
    settings.WECHAT_API_BASE = standin.base_url
    settings.WECOM_CORP_ID = CORP_ID
    settings.WECOM_KF_SECRET = standin.kf_secret
    settings.WECOM_KF_TOKEN = KF_TOKEN
    settings.WECOM_KF_ENCODING_AES_KEY = KF_AES_KEY
    settings.WECOM_API_BASE = standin.base_url
    return standin
