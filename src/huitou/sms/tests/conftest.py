import pytest

from huitou.sms import backends
from huitou.sms.models import SmsTemplate

from .standin import StandIn


@pytest.fixture(autouse=True)
def _empty_outbox():
    backends.outbox.clear()
    yield
    backends.outbox.clear()


@pytest.fixture
def standin():
    with StandIn() as server:
        yield server


@pytest.fixture
def aliyun(settings, standin):
    settings.SMS_BACKEND = "huitou.sms.backends.AliyunBackend"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = standin.aliyun_key
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = standin.aliyun_secret
    settings.SMS_ALIYUN_ENDPOINT = standin.endpoint
    settings.SMS_ALIYUN_PROTOCOL = "HTTP"
    settings.SMS_SIGN_NAME = "回头科技"
    SmsTemplate.objects.filter(code="sign_in_code").update(aliyun_template_code="SMS_1001")
    SmsTemplate.objects.filter(code="contact_code").update(aliyun_template_code="SMS_1002")
    SmsTemplate.objects.filter(code="notify_received").update(aliyun_template_code="SMS_1003")
    return standin


@pytest.fixture
def tencent(settings, standin):
    settings.SMS_BACKEND = "huitou.sms.backends.TencentBackend"
    settings.SMS_TENCENT_SECRET_ID = standin.tencent_id
    settings.SMS_TENCENT_SECRET_KEY = standin.tencent_secret
    settings.SMS_TENCENT_ENDPOINT = standin.endpoint
    settings.SMS_TENCENT_SCHEME = "HTTP"
    settings.SMS_TENCENT_SDK_APP_ID = "1400006666"
    settings.SMS_SIGN_NAME = "回头科技"
    SmsTemplate.objects.filter(code="sign_in_code").update(tencent_template_id="449739")
    SmsTemplate.objects.filter(code="contact_code").update(tencent_template_id="449740")
    SmsTemplate.objects.filter(code="notify_received").update(tencent_template_id="449741")
    return standin
