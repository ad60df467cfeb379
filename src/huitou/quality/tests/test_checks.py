"""Each automatic check on a passing and a failing conversation, with its reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.quality.checks import (
    check_closing,
    check_definite_time,
    check_first_response,
    check_forbidden,
    check_greeting,
    check_hold_reason,
    check_repeat_back,
    check_repeat_contact,
    check_reply_time,
)
from huitou.quality.checks import conversation as load
from huitou.quality.defaults import quality_settings
from huitou.quality.services import do_inspection_create
from huitou.sla.models import BusinessCalendar, SlaPolicy, TicketSla
from huitou.tickets.models import Message, Ticket
from huitou.tickets.services import do_customer_message_add, do_message_add

from .helpers import conversation, general_card

pytestmark = pytest.mark.django_db


def run(check, ticket):
    return check(load(ticket), quality_settings())


def test_greeting_present_and_missing():
    good = run(check_greeting, conversation(replies=["您好，很高兴为您服务。保修三年。"]))
    assert good.result == "pass" and "您好" in good.reason
    bad = run(check_greeting, conversation(replies=["保修三年。"]))
    assert bad.result == "fail" and "没有问候语" in bad.reason


def test_closing_present_and_missing():
    good = run(check_closing, conversation(replies=["您好。", "感谢您的来电，再见！"]))
    assert good.result == "pass" and "感谢" in good.reason
    bad = run(check_closing, conversation(replies=["您好。", "就这样。"]))
    assert bad.result == "fail" and "没有致谢或结束语" in bad.reason


def test_closing_phrases_are_configurable():
    settings = quality_settings()
    settings.closing_phrases = ["祝您愉快"]
    settings.save()
    ticket = conversation(replies=["您好。", "谢谢。"])
    assert run(check_closing, ticket).result == "fail"


def test_no_agent_reply_is_not_applicable():
    outcome = run(check_greeting, conversation())
    assert outcome.result == "na" and "没有坐席的回复" in outcome.reason


def test_a_phone_log_is_judged_on_its_description():
    ticket = conversation(channel="phone", description="您好，这里是客服中心。客户询问保修。")
    assert run(check_greeting, ticket).result == "pass"


def test_forbidden_phrases_absent_and_present():
    good = run(check_forbidden, conversation(replies=["您好，我来帮您查一下。"]))
    assert good.result == "pass" and "没有服务忌语" in good.reason
    bad = run(check_forbidden, conversation(replies=["这是本公司的规定，没法改。"]))
    assert bad.result == "fail" and "这是本公司的规定" in bad.reason


def _policy(**minutes) -> SlaPolicy:
    calendar = BusinessCalendar.objects.create(
        name="全天",
        hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    return SlaPolicy.objects.create(
        name="测试策略",
        order=0,
        calendar=calendar,
        first_response_minutes=60,
        resolution_minutes=600,
        **minutes,
    )


def test_first_response_within_and_after_the_sla():
    _policy()
    good = conversation(replies=["您好。"])
    outcome = run(check_first_response, good)
    assert outcome.result == "pass" and "时限" in outcome.reason
    late = conversation(replies=["您好。"])
    TicketSla.objects.filter(ticket=late).update(
        first_response_due=timezone.now() - timedelta(minutes=30)
    )
    outcome = run(check_first_response, late)
    assert outcome.result == "fail" and "超过时限" in outcome.reason


def test_first_response_without_an_sla_is_not_applicable():
    ticket = conversation(replies=["您好。"])
    TicketSla.objects.filter(ticket=ticket).delete()
    assert run(check_first_response, ticket).result == "na"


def _exchange(wait_minutes: float) -> Ticket:
    agent = UserFactory(role="agent")
    ticket = conversation(agent=agent, replies=["您好，请问有什么可以帮您？"])
    first = ticket.messages.get()
    asked = do_customer_message_add(ticket=ticket, body="保修几年？")
    answer = do_message_add(actor=agent, ticket=ticket, body="三年。", public=True)
    now = timezone.now()
    Message.objects.filter(pk=first.pk).update(created_at=now - timedelta(minutes=wait_minutes + 5))
    Message.objects.filter(pk=asked.pk).update(created_at=now - timedelta(minutes=wait_minutes))
    Message.objects.filter(pk=answer.pk).update(created_at=now)
    return ticket


def test_reply_times_against_the_next_response_target():
    _policy(next_response_minutes=30)
    good = run(check_reply_time, _exchange(10))
    assert good.result == "pass" and "30 工作分钟内" in good.reason
    bad = run(check_reply_time, _exchange(45))
    assert bad.result == "fail" and "45 分钟后才回复" in bad.reason


def test_repeated_contact_within_the_window():
    agent = UserFactory(role="agent")
    first = conversation(agent=agent, replies=["您好。"])
    outcome = run(check_repeat_contact, first)
    assert outcome.result == "pass" and "7 天内没有再次联系" in outcome.reason
    again = conversation(agent=agent, customer=first.customer, replies=["您好。"])
    outcome = run(check_repeat_contact, first)
    assert outcome.result == "fail" and again.number in outcome.reason


def test_repeat_back_present_and_missing():
    good = run(check_repeat_back, conversation(replies=["跟您确认一下，是冰箱不制冷对吗？"]))
    assert good.result == "pass" and "跟您确认" in good.reason
    bad = run(check_repeat_back, conversation(replies=["好的。"]))
    assert bad.result == "fail" and "复述" in bad.reason


def test_reason_before_hold_or_transfer():
    good = run(check_hold_reason, conversation(replies=["我需要帮您查询库存，请稍等两分钟。"]))
    assert good.result == "pass" and "说明了原因" in good.reason
    bad = run(check_hold_reason, conversation(replies=["请稍等。"]))
    assert bad.result == "fail" and "请稍等" in bad.reason and "没有说明原因" in bad.reason
    none = run(check_hold_reason, conversation(replies=["您好。"]))
    assert none.result == "na"


def test_a_definite_reply_time():
    good = run(check_definite_time, conversation(replies=["我们核实后明天下午 3 点前回复您。"]))
    assert good.result == "pass" and "明确时间" in good.reason
    bad = run(check_definite_time, conversation(replies=["我们核实后尽快回复您。"]))
    assert bad.result == "fail" and "回复您" in bad.reason


def test_the_inspection_is_prefilled_with_results_and_reasons():
    qa = UserFactory(role="qa")
    ticket = conversation(replies=["这是本公司的规定。"])
    inspection = do_inspection_create(
        ticket=ticket, scorecard=general_card(), inspector=qa, source="manual"
    )
    rows = {row.item.key: row for row in inspection.items.select_related("item")}
    assert (
        rows["forbidden"].result == "fail" and "这是本公司的规定" in rows["forbidden"].auto_reason
    )
    assert rows["greeting"].auto_result == "fail"
    assert rows["listening"].result == "" and rows["listening"].auto_reason == ""
    # The critical forbidden-phrase item already zeroes the provisional score.
    assert inspection.critical_failed and inspection.score == 0
