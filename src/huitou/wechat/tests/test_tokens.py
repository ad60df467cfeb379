"""Access tokens: cached while they have more than five minutes left, refreshed by one
caller however many ask at once (threads here; processes meet the same database lock), and
refreshed once more when WeChat refuses the one in hand."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from huitou.wechat import client
from huitou.wechat.models import WechatAccessToken

from .conftest import OA_APP_ID

KEY = f"oa:{OA_APP_ID}"


def token_calls(standin) -> int:
    return len(standin.calls_to("/cgi-bin/token"))


@pytest.mark.django_db
def test_a_token_is_fetched_once_and_cached(wechat):
    first = client.access_token(KEY)
    assert client.access_token(KEY) == first == "oa-token-1"
    assert token_calls(wechat) == 1
    row = WechatAccessToken.objects.get(key=KEY)
    assert timedelta(minutes=119) < row.expires_at - timezone.now() <= timedelta(minutes=120)


@pytest.mark.django_db
def test_a_token_with_five_minutes_or_less_left_is_refreshed(wechat):
    WechatAccessToken.objects.create(
        key=KEY, token="old", expires_at=timezone.now() + timedelta(minutes=4)
    )
    assert client.access_token(KEY) == "oa-token-1"
    WechatAccessToken.objects.filter(key=KEY).update(
        expires_at=timezone.now() + timedelta(minutes=6)
    )
    assert client.access_token(KEY) == "oa-token-1"
    assert token_calls(wechat) == 1


@pytest.mark.django_db
def test_wecom_tokens_come_from_gettoken_with_the_corp_secret(wechat):
    assert client.access_token(client.kf_key()) == "kf-token-1"
    [call] = wechat.calls_to("/cgi-bin/gettoken")
    assert call.query == {"corpid": wechat.corp_id, "corpsecret": wechat.kf_secret}


def refresh_together(count: int) -> list[str]:
    barrier = threading.Barrier(count)
    tokens, errors = [], []

    def ask():
        try:
            barrier.wait()
            tokens.append(client.access_token(KEY))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return tokens


def stale_row(exists: bool) -> None:
    """The two starts: no token yet, or one that has expired (the row lock's case)."""
    if exists:
        WechatAccessToken.objects.create(
            key=KEY, token="old", expires_at=timezone.now() - timedelta(minutes=1)
        )


@pytest.mark.parametrize("row_exists", [False, True])
@pytest.mark.django_db(transaction=True)
def test_eight_threads_asking_at_once_refresh_once(wechat, row_exists):
    stale_row(row_exists)
    wechat.token_delay = 0.3  # the fetch is slow enough for all eight to be waiting
    tokens = refresh_together(8)
    assert tokens == ["oa-token-1"] * 8
    assert token_calls(wechat) == 1


@pytest.mark.parametrize("row_exists", [False, True])
@pytest.mark.django_db(transaction=True)
def test_the_database_lock_alone_refreshes_once(wechat, monkeypatch, row_exists):
    """As separate processes would: no shared process lock, only the row lock and the
    re-check after it (PostgreSQL: SELECT ... FOR UPDATE; SQLite: its write lock)."""
    monkeypatch.setattr(client, "_process_lock", lambda key: threading.Lock())
    stale_row(row_exists)
    wechat.token_delay = 0.3
    tokens = refresh_together(8)
    assert tokens == ["oa-token-1"] * 8
    assert token_calls(wechat) == 1


@pytest.mark.django_db
def test_a_refused_token_is_refreshed_once_and_the_call_tried_once_more(wechat):
    client.access_token(KEY)
    wechat.expire_tokens()  # another client refreshed it: WeChat answers 40001
    client.oa_custom_send(touser="o1", content="您好")
    sends = wechat.calls_to("/cgi-bin/message/custom/send")
    assert [call.query["access_token"] for call in sends] == ["oa-token-1", "oa-token-2"]
    assert token_calls(wechat) == 2


@pytest.mark.django_db
def test_a_second_refusal_is_not_retried_again(wechat, monkeypatch):
    client.access_token(KEY)
    monkeypatch.setattr(wechat, "_token_ok", lambda kind, query: False)
    with pytest.raises(client.WechatApiError) as refused:
        client.oa_custom_send(touser="o1", content="您好")
    assert refused.value.errcode == 40001
    assert len(wechat.calls_to("/cgi-bin/message/custom/send")) == 2


@pytest.mark.django_db
def test_a_wrong_secret_is_an_api_error(wechat, settings):
    settings.WECHAT_OA_APP_SECRET = "wrong"
    with pytest.raises(client.WechatApiError) as refused:
        client.access_token(KEY)
    assert refused.value.errcode == 40013
    assert not WechatAccessToken.objects.exclude(token="").exists()
