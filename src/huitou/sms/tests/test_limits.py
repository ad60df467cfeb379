"""The per-number daily limit, the do-not-disturb window and its minute sweep, what a send
keeps of a code, and the free-text path the console / locmem / HTTP backends take."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from huitou.config.settings.env import BadSetting, env_time_range
from huitou.core.errors import DomainError
from huitou.sms import backends, services
from huitou.sms.errors import SmsError, SmsLimited
from huitou.sms.models import Purpose, SmsSend
from huitou.sms.quiet import is_quiet, quiet_end
from huitou.sms.services import do_sms_send, do_sms_send_due, normalize_number, send_sms
from huitou.sms.tasks import send_deferred_sms

pytestmark = pytest.mark.django_db
PHONE = "13800138000"
Status = SmsSend.Status


def local(*args) -> datetime:
    """A moment in TIME_ZONE (Asia/Shanghai in the settings)."""
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def care(moment: datetime, to: str = PHONE) -> SmsSend:
    return do_sms_send(
        to=to,
        purpose=Purpose.MARKETING,
        template="",
        params={},
        text="【回头】换季保养提醒：空调清洗 8 折。",
        now=moment,
    )


def notify(moment: datetime, to: str = PHONE) -> SmsSend:
    return do_sms_send(
        to=to,
        purpose=Purpose.NOTIFICATION,
        template="notify_received",
        params={"number": "T1"},
        now=moment,
    )


# --- the daily limit ----------------------------------------------------------------------------
def test_the_eleventh_text_of_a_day_is_refused_and_recorded(settings):
    settings.HUITOU_SMS_DAILY_LIMIT = 10
    morning = local(2026, 12, 3, 9, 0)
    for minute in range(10):
        notify(morning + timedelta(minutes=minute))
    with pytest.raises(SmsLimited, match=r"138\*\*\*\*8000") as refused:
        notify(morning + timedelta(hours=5))
    assert isinstance(refused.value, SmsError)  # callers that catch SmsError handle it
    assert "13800138000" not in str(refused.value)
    assert len(backends.outbox) == 10
    assert SmsSend.objects.filter(status=Status.REFUSED_LIMIT).count() == 1
    # Another number is not affected.
    notify(morning, to="13900139000")


def test_the_day_is_the_local_day(settings):
    settings.HUITOU_SMS_DAILY_LIMIT = 2
    notify(local(2026, 12, 3, 23, 58))
    notify(local(2026, 12, 3, 23, 59))
    with pytest.raises(SmsLimited):
        notify(local(2026, 12, 3, 23, 59, 30))
    # Local midnight is 16:00 UTC: the next local day has its own count.
    notify(local(2026, 12, 4, 0, 0))
    assert len(backends.outbox) == 3


def test_spellings_of_one_number_share_its_count(settings):
    settings.HUITOU_SMS_DAILY_LIMIT = 2
    moment = local(2026, 12, 3, 10, 0)
    notify(moment, to="+86 138-0013-8000")
    notify(moment, to="008613800138000")
    with pytest.raises(SmsLimited):
        notify(moment, to="13800138000")
    assert {message.to for message in backends.outbox} == {PHONE}


def test_refused_and_gateway_failed_sends_do_not_count(settings):
    settings.HUITOU_SMS_DAILY_LIMIT = 1
    moment = local(2026, 12, 3, 10, 0)
    settings.SMS_BACKEND = "huitou.sms.backends.HttpBackend"
    settings.SMS_HTTP_URL = ""  # every send fails
    for _ in range(3):
        with pytest.raises(SmsError):
            notify(moment)
    settings.SMS_BACKEND = "huitou.sms.backends.LocmemBackend"
    notify(moment)
    with pytest.raises(SmsLimited):
        notify(moment)
    with pytest.raises(SmsLimited):
        notify(moment)


def test_not_a_phone_number_is_an_sms_error():
    with pytest.raises(SmsError):
        normalize_number("call me")
    assert normalize_number("+86 138 0013 8000") == PHONE
    assert normalize_number("85261234567") == "+85261234567"


# --- do not disturb -----------------------------------------------------------------------------
def test_a_marketing_text_in_the_quiet_hours_waits_for_eight_oclock():
    row = care(local(2026, 12, 3, 22, 30))
    assert row.status == Status.DEFERRED and backends.outbox == []
    assert row.scheduled_for == local(2026, 12, 4, 8, 0)
    after_midnight = care(local(2026, 12, 4, 1, 0))
    assert after_midnight.scheduled_for == local(2026, 12, 4, 8, 0)


def test_other_purposes_go_at_any_hour():
    notify(local(2026, 12, 3, 23, 0))
    assert len(backends.outbox) == 1


def test_a_marketing_text_in_the_day_goes_at_once():
    assert care(local(2026, 12, 3, 20, 59)).status == Status.SENT
    assert len(backends.outbox) == 1


def test_the_sweep_sends_a_deferred_text_once_when_the_quiet_hours_end():
    row = care(local(2026, 12, 3, 22, 30))
    assert do_sms_send_due(now=local(2026, 12, 4, 7, 59)) == 0
    assert backends.outbox == []
    assert do_sms_send_due(now=local(2026, 12, 4, 8, 0)) == 1
    assert do_sms_send_due(now=local(2026, 12, 4, 8, 1)) == 0
    [message] = backends.outbox
    assert message.text == "【回头】换季保养提醒：空调清洗 8 折。"
    row.refresh_from_db()
    assert row.status == Status.SENT and row.sent_at == local(2026, 12, 4, 8, 0)


def test_a_row_another_worker_claimed_after_the_listing_is_not_sent_again(monkeypatch):
    row = care(local(2026, 12, 3, 22, 30))

    def listed_then_taken(*, now):
        # This worker has listed the due row; the other worker's guarded UPDATE wins it.
        listed = SmsSend.objects.filter(pk=row.pk)
        SmsSend.objects.filter(pk=row.pk, status=Status.DEFERRED).update(status=Status.SENDING)
        return listed

    monkeypatch.setattr(services, "due_deferred", listed_then_taken)
    assert do_sms_send_due(now=local(2026, 12, 4, 8, 0)) == 0
    assert backends.outbox == []


def test_a_deferred_text_counts_against_the_day_it_goes(settings):
    settings.HUITOU_SMS_DAILY_LIMIT = 1
    row = care(local(2026, 12, 3, 22, 30))
    notify(local(2026, 12, 4, 7, 0))  # the day's one text
    assert do_sms_send_due(now=local(2026, 12, 4, 8, 0)) == 0
    row.refresh_from_db()
    assert row.status == Status.REFUSED_LIMIT


def test_the_periodic_task_runs_the_sweep(settings, monkeypatch):
    row = care(local(2026, 12, 3, 22, 30))
    monkeypatch.setattr(timezone, "now", lambda: local(2026, 12, 4, 9, 0))
    send_deferred_sms.call_local()
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_quiet_hours_that_do_not_cross_midnight(settings):
    settings.HUITOU_SMS_QUIET_HOURS = "12:00-14:00"
    assert is_quiet(local(2026, 12, 3, 12, 30)) and not is_quiet(local(2026, 12, 3, 14, 0))
    assert quiet_end(local(2026, 12, 3, 12, 30)) == local(2026, 12, 3, 14, 0)


def test_the_quiet_hours_setting_is_read_strictly(monkeypatch):
    monkeypatch.setenv("HUITOU_SMS_QUIET_HOURS", "9pm-8am")
    with pytest.raises(BadSetting, match="HUITOU_SMS_QUIET_HOURS"):
        env_time_range("HUITOU_SMS_QUIET_HOURS", "21:00-08:00")
    monkeypatch.setenv("HUITOU_SMS_QUIET_HOURS", "22:30-07:00")
    assert env_time_range("HUITOU_SMS_QUIET_HOURS", "21:00-08:00") == "22:30-07:00"


# --- what is kept -------------------------------------------------------------------------------
def test_a_sign_in_text_is_kept_without_its_code_or_link():
    row = send_sms(
        to=PHONE,
        text="【回头】您的登录验证码是 482913。也可以打开此链接直接登录：https://x/help/a/1.s3cret/",
        purpose=Purpose.SIGN_IN,
        template="sign_in_code",
        params={"code": "482913", "minutes": 10},
    )
    assert "482913" in backends.outbox[-1].text  # the customer gets it
    row.refresh_from_db()
    assert "482913" not in row.text and "s3cret" not in row.text
    assert row.params == {"code": "******", "minutes": "10"}
    assert row.text.startswith("您的登录验证码是 ******")


def test_a_notification_is_kept_as_sent():
    row = notify(local(2026, 12, 3, 10, 0))
    assert row.text == "您的工单 T1 已受理，我们会尽快处理。" == backends.outbox[-1].text
    assert row.params == {"number": "T1"} and row.template_code == "notify_received"


def test_send_sms_with_text_alone_still_works():
    row = send_sms(to=PHONE, text="您的验证码是 123456")
    assert backends.outbox[-1].text == "您的验证码是 123456"
    assert row.purpose == Purpose.NOTIFICATION and row.status == Status.SENT


def test_an_unknown_purpose_is_refused():
    with pytest.raises(DomainError) as refused:
        do_sms_send(to=PHONE, purpose="spam", template="", params={}, text="x")
    assert refused.value.field == "purpose" and backends.outbox == []


def test_a_misconfigured_backend_leaves_deferred_texts_for_the_next_minute(settings):
    row = care(local(2026, 12, 3, 22, 30))
    settings.SMS_BACKEND = "huitou.sms.backends.HttpBackend"
    settings.SMS_HTTP_URL = ""
    assert do_sms_send_due(now=local(2026, 12, 4, 8, 0)) == 0
    row.refresh_from_db()
    assert row.status == Status.DEFERRED


def test_an_unknown_template_without_text_is_an_sms_error():
    with pytest.raises(SmsError, match="no SMS template 'nope'"):
        do_sms_send(to=PHONE, purpose=Purpose.NOTIFICATION, template="nope", params={})
