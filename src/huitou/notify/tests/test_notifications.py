"""Progress notifications: one per event, from the editable templates, by the channel the
ticket came by; opt-outs, the unsubscribe link and text messages through the SMS backend."""

import pytest
from django.test import Client
from django.utils import translation

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory, desk_user
from huitou.complaints.services import do_complaint_dispatch
from huitou.complaints.tests.factories import make_complaint
from huitou.core.errors import DomainError
from huitou.core.models import OutboxMessage
from huitou.customers.holders import holders
from huitou.customers.tests.factories import CustomerFactory
from huitou.mail.services import do_mail_ingest
from huitou.mail.tests.factories import make_mail, make_mailbox
from huitou.notify.admin import NotificationTemplateForm
from huitou.notify.content import check_template
from huitou.notify.models import Notification, NotificationOptOut, NotificationTemplate
from huitou.notify.services import (
    do_notifications_opt_out,
    do_sms_deliver,
    unsubscribe_token,
)
from huitou.sms import backends as sms
from huitou.tickets.services import (
    do_customer_message_add,
    do_message_add,
    do_ticket_create,
    do_ticket_update,
)

pytestmark = pytest.mark.django_db


def web_ticket(**fields):
    values = {
        "channel": "web",
        "type": "consultation",
        "subject": "冰箱不制冷",
        "contact_name": "王先生",
    }
    values.update(fields)
    customer = values.pop("customer", None) or CustomerFactory(
        name="王建国", email="wang@example.cn"
    )
    return do_ticket_create(actor=desk_user(), customer=customer, **values)


def notes(ticket, event):
    return list(Notification.objects.filter(ticket=ticket, event=event))


def test_the_default_templates_are_seeded_for_every_event_and_channel():
    pairs = set(NotificationTemplate.objects.values_list("event", "channel"))
    events = {"received", "public_reply", "dispatched", "resolved", "reopened"}
    assert pairs == {(event, channel) for event in events for channel in ("email", "sms")}
    for template in NotificationTemplate.objects.all():
        check_template(
            event=template.event,
            channel=template.channel,
            subject=template.subject,
            body=template.body,
        )


def test_a_new_ticket_queues_one_received_email_with_its_variables_filled():
    ticket = web_ticket()
    [note] = notes(ticket, "received")
    assert note.channel == "email" and note.recipient == "wang@example.cn"
    assert note.subject == f"您的问题已受理 [{ticket.number}]"
    assert note.body.startswith("王先生您好")
    assert "冰箱不制冷" in note.body and ticket.number in note.body
    assert f"/help/my/{ticket.pk}/" in note.body  # {门户链接}
    assert "{" not in note.body
    outbox = note.outbox
    assert outbox.key == f"notify:received:{ticket.pk}:1"
    assert outbox.to == ["wang@example.cn"]
    assert outbox.headers["Auto-Submitted"] == "auto-generated"
    assert "/notify/unsubscribe/" in outbox.headers["List-Unsubscribe"]
    assert "/notify/unsubscribe/" in outbox.body


def test_a_public_reply_queues_one_notification_with_the_reply():
    ticket = web_ticket()
    agent = UserFactory(role="agent")
    message = do_message_add(
        actor=agent, ticket=ticket, body="您好，压缩机需要更换，师傅明天上门。", public=True
    )
    [note] = notes(ticket, "public_reply")
    assert "压缩机需要更换，师傅明天上门" in note.body
    assert note.key == f"notify:public_reply:{ticket.pk}:{message.pk}"
    do_message_add(actor=agent, ticket=ticket, body="内部：已约师傅", public=False)
    assert len(notes(ticket, "public_reply")) == 1


def test_resolving_and_reopening_each_queue_one_notification():
    ticket = web_ticket()
    agent = desk_user()
    ticket = do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})
    [resolved] = notes(ticket, "resolved")
    assert "已处理完毕" in resolved.body
    assert notes(ticket, "reopened") == []
    ticket = do_ticket_update(actor=agent, ticket=ticket, changes={"status": "open"})
    [reopened] = notes(ticket, "reopened")
    assert "重新进入处理" in reopened.body
    assert reopened.key == f"notify:reopened:{ticket.pk}:1"


def test_dispatching_a_complaint_tells_the_department_and_the_promised_date():
    customer = CustomerFactory(name="李娜", gender="female", email="lina@example.cn")
    complaint = make_complaint(customer=customer, channel="web")
    department = DepartmentFactory(name="售后服务部")
    do_complaint_dispatch(actor=desk_user(), complaint=complaint, department=department)
    complaint.refresh_from_db()
    [note] = notes(complaint.ticket, "dispatched")
    date = complaint.promised_date
    assert "售后服务部" in note.subject and "售后服务部" in note.body
    assert f"{date.month}月{date.day}日前" in note.body
    assert note.body.startswith("李女士您好")


def test_an_opted_out_customer_gets_no_notification():
    customer = CustomerFactory(name="王建国", email="wang@example.cn")
    do_notifications_opt_out(customer=customer)
    ticket = web_ticket(customer=customer)
    do_message_add(actor=desk_user(), ticket=ticket, body="您好，已处理。", public=True)
    do_ticket_update(actor=desk_user(), ticket=ticket, changes={"status": "resolved"})
    assert not Notification.objects.filter(ticket=ticket).exists()
    assert not OutboxMessage.objects.filter(kind="notify").exists()


def test_an_opt_out_of_email_only_falls_back_to_sms(settings):
    settings.HUITOU_NOTIFY_SMS = True
    customer = CustomerFactory(name="王建国", email="wang@example.cn", phone="13912345678")
    do_notifications_opt_out(customer=customer, channel="email")
    ticket = web_ticket(customer=customer)
    [note] = notes(ticket, "received")
    assert note.channel == "sms" and note.recipient == "13912345678"


@pytest.fixture
def mailbox():
    return make_mailbox()


def test_an_email_ticket_is_told_it_was_received_from_its_mailbox(mailbox):
    result = do_mail_ingest(mailbox=mailbox, raw=make_mail())
    [note] = notes(result.ticket, "received")
    assert note.recipient == "zhangwei@example.cn"
    assert note.outbox.transport == f"mail.mailbox:{mailbox.pk}"
    assert "service@huitou.example" in note.outbox.from_email


def test_no_received_notification_when_the_mailbox_answers_automatically(mailbox):
    mailbox.auto_answer = True
    mailbox.save()
    result = do_mail_ingest(mailbox=mailbox, raw=make_mail())
    assert notes(result.ticket, "received") == []


def test_a_public_reply_on_an_email_ticket_queues_no_notification(mailbox):
    ticket = do_mail_ingest(mailbox=mailbox, raw=make_mail()).ticket
    do_message_add(actor=desk_user(), ticket=ticket, body="您好，已为您安排。", public=True)
    assert notes(ticket, "public_reply") == []
    assert OutboxMessage.objects.filter(kind="mail_reply").count() == 1  # the reply itself


def test_an_email_tickets_reply_goes_out_even_when_the_customer_opted_out(mailbox):
    ticket = do_mail_ingest(mailbox=mailbox, raw=make_mail()).ticket
    do_notifications_opt_out(customer=ticket.customer)
    do_message_add(actor=desk_user(), ticket=ticket, body="您好，已为您安排。", public=True)
    assert OutboxMessage.objects.filter(kind="mail_reply").count() == 1


def test_a_customer_who_reopens_by_writing_is_not_told_it_reopened():
    ticket = web_ticket()
    ticket = do_ticket_update(actor=desk_user(), ticket=ticket, changes={"status": "resolved"})
    do_customer_message_add(ticket=ticket, body="还是不制冷。")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert notes(ticket, "reopened") == []


def test_an_unverified_portal_contact_is_never_written_to():
    visitor = CustomerFactory(name="访客", phone="")
    ticket = web_ticket(
        customer=visitor, contact_email="someone@example.cn", contact_status="unverified"
    )
    assert notes(ticket, "received") == []


def test_a_phone_ticket_is_told_by_sms_only_when_sms_is_switched_on(settings):
    customer = CustomerFactory(name="周建国", email="zhou@example.cn")
    ticket = web_ticket(customer=customer, channel="phone", contact_phone="13512345678")
    assert notes(ticket, "received") == []  # HUITOU_NOTIFY_SMS is off by default
    settings.HUITOU_NOTIFY_SMS = True
    ticket = web_ticket(customer=customer, channel="phone", contact_phone="13512345678")
    [note] = notes(ticket, "received")
    assert note.channel == "sms" and note.recipient == "13512345678"
    assert note.status == "pending"


def test_a_queued_text_is_sent_by_the_sms_backend_once(
    settings, django_capture_on_commit_callbacks
):
    settings.HUITOU_NOTIFY_SMS = True
    sms.outbox.clear()
    customer = CustomerFactory(name="周建国")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = web_ticket(customer=customer, channel="phone", contact_phone="13512345678")
    [note] = notes(ticket, "received")
    note.refresh_from_db()
    assert note.status == "sent" and note.attempts == 1
    [text] = sms.outbox
    assert text.to == "13512345678"
    assert ticket.number in text.text and "退订" in text.text
    assert do_sms_deliver() == 0
    assert len(sms.outbox) == 1


class FailingBackend(sms.BaseBackend):
    def send(self, message):
        raise sms.SmsError("SMS gateway answered 503")


def test_a_failed_text_is_retried_later_with_the_reason(settings):
    settings.HUITOU_NOTIFY_SMS = True
    settings.SMS_BACKEND = f"{__name__}.FailingBackend"
    ticket = web_ticket(customer=CustomerFactory(), channel="phone", contact_phone="13512345678")
    assert do_sms_deliver() == 0
    note = Notification.objects.get(ticket=ticket)
    assert note.status == "pending" and note.attempts == 1
    assert "503" in note.last_error and note.next_attempt_at is not None


def test_a_template_with_an_unknown_variable_is_refused_naming_it():
    with pytest.raises(DomainError, match=r"\{客户姓名\}") as error:
        check_template(event="received", channel="email", subject="受理", body="{客户姓名}您好")
    assert error.value.field == "body"
    with pytest.raises(DomainError, match=r"\{回复内容\}"):
        check_template(event="resolved", channel="sms", subject="", body="{回复内容}")


def test_the_admin_form_shows_the_unknown_variable_on_its_field():
    template = NotificationTemplate.objects.get(event="received", channel="email")
    form = NotificationTemplateForm(
        instance=template,
        data={"event": "received", "channel": "email", "subject": "{工单 号}受理 {编号}",
              "body": "您好", "active": "on"},
    )  # fmt: skip
    assert not form.is_valid()
    assert "{编号}" in form.errors["subject"][0]


def test_an_edited_template_is_used_for_the_next_notification():
    NotificationTemplate.objects.filter(event="received", channel="email").update(
        subject="已收到 {工单号}", body="{客户称呼}，您的问题“{主题}”已收到。"
    )
    ticket = web_ticket()
    [note] = notes(ticket, "received")
    assert note.subject == f"已收到 {ticket.number}"
    assert note.body.startswith("王先生，您的问题“冰箱不制冷”已收到。")


def test_the_unsubscribe_link_asks_on_get_and_unsubscribes_on_post():
    customer = CustomerFactory(email="wang@example.cn")
    url = f"/notify/unsubscribe/{unsubscribe_token(customer)}/"
    client = Client(enforce_csrf_checks=False)
    response = client.get(url)
    assert response.status_code == 200
    assert "确认退订" in response.content.decode()
    assert not NotificationOptOut.objects.filter(customer=customer).exists()
    response = client.post(url)
    assert response.status_code == 200
    assert "已退订" in response.content.decode()
    assert NotificationOptOut.objects.get(customer=customer).channel == ""


def test_a_bad_unsubscribe_token_is_refused():
    client = Client()
    assert client.get("/notify/unsubscribe/not-a-token/").status_code == 400
    assert client.post("/notify/unsubscribe/not-a-token/").status_code == 400
    assert not NotificationOptOut.objects.exists()


def test_the_unsubscribe_page_has_no_inline_script():
    customer = CustomerFactory()
    body = Client().get(f"/notify/unsubscribe/{unsubscribe_token(customer)}/").content.decode()
    assert "<script>" not in body and "onclick" not in body


def test_a_template_check_rejects_an_empty_email_subject():
    with pytest.raises(DomainError) as error:
        check_template(event="received", channel="email", subject=" ", body="您好")
    assert error.value.field == "subject"


def test_erasing_a_customer_clears_their_notifications_but_keeps_the_opt_out():
    ticket = web_ticket()
    customer = ticket.customer
    do_notifications_opt_out(customer=customer)
    holder = next(h for h in holders() if h.name == "notifications")
    exported = holder.export(customer)
    assert any("opt_out" in row for row in exported)
    assert any(row.get("recipient") == "wang@example.cn" for row in exported)
    assert holder.erase(actor=None, customer=customer) == 1
    note = Notification.objects.get(ticket=ticket)
    assert note.recipient == "" and note.body == ""
    assert NotificationOptOut.objects.filter(customer=customer).exists()


def test_a_notification_that_cannot_be_made_never_stops_the_ticket(monkeypatch):
    def broken(**kwargs):
        raise ValueError("a template broken by hand")

    monkeypatch.setattr("huitou.notify.services.fill", broken)
    ticket = web_ticket()
    assert ticket.pk and not Notification.objects.filter(ticket=ticket).exists()


def test_a_notification_is_worded_in_chinese_whatever_language_the_agent_reads():
    with translation.override("en"):
        ticket = web_ticket()
    [note] = notes(ticket, "received")
    assert "如不想再收到此类通知" in note.body
