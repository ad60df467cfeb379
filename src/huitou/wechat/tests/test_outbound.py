"""Sending to customers: an agent's public reply on a WeChat conversation goes out once
through custom/send (or kf/send_msg), a closed window is recorded as such, and a network
failure is retried without ever sending twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import desk_user
from huitou.chat.models import ChatSession
from huitou.chat.services import do_channel_inbound, do_chat_accept
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_message_add
from huitou.tickets.tests.factories import TicketFactory
from huitou.wechat import tasks
from huitou.wechat.models import WechatOutbound
from huitou.wechat.outbound import (
    MAX_ATTEMPTS,
    RetryLater,
    do_outbound_deliver,
    do_outbound_queue,
    do_outbound_retry,
)
from huitou.wechat.selectors import outbound_status

from .conftest import OA_APP_ID, OPEN_KFID

pytestmark = pytest.mark.django_db
CUSTOM_SEND = "/cgi-bin/message/custom/send"
KF_SEND = "/cgi-bin/kf/send_msg"


def wechat_conversation(
    via: str = "wechat", account: str = OA_APP_ID, external_id: str = "oCustomer1"
) -> Ticket:
    """A WeChat customer asked for a person (转人工): their conversation's ticket."""
    result = do_channel_inbound(
        via=via, account=account, external_id=external_id, body="转人工", external_msg_id=f"{via}-1"
    )
    assert result.handed_off and result.ticket_id
    return Ticket.objects.get(pk=result.ticket_id)


def reply(ticket: Ticket, body: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return do_message_add(actor=desk_user(), ticket=ticket, body=body, public=True)


def test_an_agents_reply_is_sent_once_through_custom_send(
    wechat, django_capture_on_commit_callbacks
):
    ticket = wechat_conversation()
    message = reply(
        ticket, "您好，我是客服小王，马上为您处理。", django_capture_on_commit_callbacks
    )
    [call] = wechat.calls_to(CUSTOM_SEND)
    assert call.body == {
        "touser": "oCustomer1",
        "msgtype": "text",
        "text": {"content": message.body},
    }
    row = WechatOutbound.objects.get(message=message)
    assert (row.status, row.ticket_id, row.attempts) == ("sent", ticket.pk, 1)
    # Delivered again (a second task, the sweep): nothing more goes out.
    assert do_outbound_deliver(outbound_id=row.pk, ignore_schedule=True) == "sent"
    tasks.outbound_sweep.call_local()
    assert len(wechat.calls_to(CUSTOM_SEND)) == 1
    status = outbound_status(ticket)
    assert status.window_open and status.by_message[message.pk].status == "sent"


def test_notes_and_other_channels_send_nothing(wechat, django_capture_on_commit_callbacks):
    ticket = wechat_conversation()
    with django_capture_on_commit_callbacks(execute=True):
        do_message_add(actor=desk_user(), ticket=ticket, body="内部备注：已联系师傅", public=False)
    phone = TicketFactory()
    reply(phone, "电话工单的回复", django_capture_on_commit_callbacks)
    assert wechat.calls_to(CUSTOM_SEND) == [] and not WechatOutbound.objects.exists()
    assert outbound_status(phone) is None


def test_a_reply_after_the_48_hour_window_is_recorded_closed_without_a_call(
    wechat, django_capture_on_commit_callbacks
):
    ticket = wechat_conversation()
    ChatSession.objects.filter(ticket=ticket).update(
        customer_last_at=timezone.now() - timedelta(hours=49)
    )
    message = reply(ticket, "您好，请问问题解决了吗？", django_capture_on_commit_callbacks)
    row = WechatOutbound.objects.get(message=message)
    assert (row.status, row.reason) == ("failed", "window_closed")
    assert wechat.calls_to(CUSTOM_SEND) == []
    status = outbound_status(ticket)
    assert not status.window_open and status.last_failure == row


def test_wechat_saying_the_window_is_closed_fails_the_row_without_retry(
    wechat, django_capture_on_commit_callbacks
):
    ticket = wechat_conversation()
    wechat.custom_send_errcode = 45015
    message = reply(ticket, "您好", django_capture_on_commit_callbacks)
    row = WechatOutbound.objects.get(message=message)
    assert (row.status, row.reason, row.next_attempt_at is not None) == (
        "failed",
        "window_closed",
        True,
    )
    assert "45015" in row.last_error
    tasks.outbound_sweep.call_local()
    assert len(wechat.calls_to(CUSTOM_SEND)) == 1


def test_a_network_failure_is_retried_and_sent_once(wechat, django_capture_on_commit_callbacks):
    ticket = wechat_conversation()
    wechat.fail_sends = 1  # the first send gets a 503
    message = reply(ticket, "您好，稍等", django_capture_on_commit_callbacks)
    row = WechatOutbound.objects.get(message=message)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)  # backed off
    tasks.outbound_sweep.call_local()  # not due yet: nothing
    assert len(wechat.calls_to(CUSTOM_SEND)) == 1
    assert do_outbound_deliver(outbound_id=row.pk, ignore_schedule=True) == "sent"  # huey's retry
    assert do_outbound_deliver(outbound_id=row.pk, ignore_schedule=True) == "sent"
    assert len(wechat.calls_to(CUSTOM_SEND)) == 2  # the failed one and the one that went out


def test_a_transient_failure_raises_for_huey_to_retry(wechat):
    row = do_outbound_queue(key="t:1", via="wechat", account=OA_APP_ID, touser="o1", body="x")
    wechat.fail_sends = 5
    with pytest.raises(RetryLater):
        do_outbound_deliver(outbound_id=row.pk, ignore_schedule=True)


def test_a_row_held_by_a_live_worker_is_not_sent_by_another(wechat):
    row = do_outbound_queue(key="t:2", via="wechat", account=OA_APP_ID, touser="o1", body="x")
    WechatOutbound.objects.filter(pk=row.pk).update(
        status="sending", claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert do_outbound_deliver(outbound_id=row.pk, ignore_schedule=True) == "sending"
    WechatOutbound.objects.filter(pk=row.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert do_outbound_deliver(outbound_id=row.pk) == "sent"  # its worker died: taken over
    assert len(wechat.calls_to(CUSTOM_SEND)) == 1


def test_the_same_key_queues_once(wechat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = do_outbound_queue(
            key="answer:x", via="wechat", account=OA_APP_ID, touser="o1", body="一"
        )
        again = do_outbound_queue(
            key="answer:x", via="wechat", account=OA_APP_ID, touser="o1", body="一"
        )
    assert first.pk == again.pk
    assert len(wechat.calls_to(CUSTOM_SEND)) == 1


def test_kf_replies_go_through_send_msg_and_its_window_errors_close(
    wechat, django_capture_on_commit_callbacks
):
    ticket = wechat_conversation(via="wechat_kf", account=OPEN_KFID, external_id="wmExternal1")
    message = reply(ticket, "您好，这里是微信客服", django_capture_on_commit_callbacks)
    [call] = wechat.calls_to(KF_SEND)
    assert call.body == {
        "touser": "wmExternal1",
        "open_kfid": OPEN_KFID,
        "msgtype": "text",
        "text": {"content": message.body},
    }
    wechat.kf_send_errcode = 95026
    later = reply(ticket, "还在吗？", django_capture_on_commit_callbacks)
    row = WechatOutbound.objects.get(message=later)
    assert (row.status, row.reason) == ("failed", "window_closed")


def test_an_admin_can_send_a_failed_message_again(wechat, django_capture_on_commit_callbacks):
    ticket = wechat_conversation()
    wechat.custom_send_errcode = 45015
    message = reply(ticket, "您好", django_capture_on_commit_callbacks)
    wechat.custom_send_errcode = 0  # the customer wrote again
    with django_capture_on_commit_callbacks(execute=True):
        assert do_outbound_retry(outbound_ids=[message.wechat_outbound.pk]) == 1
    assert WechatOutbound.objects.get(message=message).status == "sent"
    assert len(wechat.calls_to(CUSTOM_SEND)) == 2


def test_the_sweep_sends_a_row_whose_task_was_lost(wechat):
    row = WechatOutbound.objects.create(
        key="lost:1",
        via="wechat",
        account=OA_APP_ID,
        touser="o1",
        body="丢失的任务",
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    tasks.outbound_sweep.call_local()
    row.refresh_from_db()
    assert row.status == "sent"
    assert [call.body["text"]["content"] for call in wechat.calls_to(CUSTOM_SEND)] == ["丢失的任务"]


def test_a_message_that_keeps_failing_is_given_up(wechat):
    row = do_outbound_queue(key="t:3", via="wechat", account=OA_APP_ID, touser="o1", body="x")
    WechatOutbound.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)
    wechat.fail_sends = 1
    assert do_outbound_deliver(outbound_id=row.pk, ignore_schedule=True) == "failed"
    row.refresh_from_db()
    assert (row.status, row.reason, row.attempts) == ("failed", "gave_up", MAX_ATTEMPTS)


def test_the_chats_own_notices_reach_the_wechat_customer(
    wechat, wechat_desk, django_capture_on_commit_callbacks
):
    ticket = wechat_conversation()
    session = ChatSession.objects.get(ticket=ticket)
    agent = wechat_desk.members.get()
    with django_capture_on_commit_callbacks(execute=True):
        do_chat_accept(actor=agent, session_id=session.pk)
    [call] = wechat.calls_to(CUSTOM_SEND)
    assert call.body["touser"] == "oCustomer1"
    assert "为您服务" in call.body["text"]["content"]
