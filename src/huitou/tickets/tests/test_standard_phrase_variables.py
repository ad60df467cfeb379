"""Standard phrases fill their variables the way an agent would say them, and a phrase whose
variable has no value is offered as unavailable instead of inserting a raw placeholder."""

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.phrase_seeds import STANDARD_PHRASES
from huitou.tickets.phrases import customer_salutation, fill_salutation, standard_phrases_for
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _phrases(ticket) -> dict[str, dict]:
    return {
        phrase["title"]: phrase
        for group in standard_phrases_for(ticket)
        for phrase in group["phrases"]
    }


@pytest.mark.parametrize(
    ("name", "gender", "kind", "contact", "expected"),
    [
        ("周建国", "male", "individual", "", "周先生"),
        ("欧阳娜娜", "female", "individual", "", "欧阳女士"),
        ("周建国", "", "individual", "周建国", ""),
        ("王先生", "", "individual", "", "王先生"),  # the caller gave their title (portal)
        ("周建国", "", "individual", "周先生", "周先生"),
        ("杭州海尔专卖店", "", "organization", "杭州海尔专卖店", ""),
        ("杭州海尔专卖店", "", "organization", "王采购经理", "王经理"),
        ("杭州海尔专卖店", "", "organization", "张丽", ""),  # a contact of unknown gender
    ],
)
def test_salutation_is_surname_and_title_or_nothing(name, gender, kind, contact, expected):
    customer = CustomerFactory.build(name=name, gender=gender, kind=kind)
    assert customer_salutation(customer, contact_name=contact) == expected


@pytest.mark.parametrize(
    ("body", "person", "organisation"),
    [
        ("您好，{客户称呼}，这里是客户服务中心。", "您好，这里是客户服务中心。", None),
        ("{客户称呼}您好，我是客服专员。", "您好，我是客服专员。", "贵公司您好，我是客服专员。"),
        ("{客户称呼}，让您久等了。", "让您久等了。", None),
        ("感谢您的来电，{客户称呼}，再见！", "感谢您的来电，再见！", None),
        ("谢谢您的理解和支持，{客户称呼}。", "谢谢您的理解和支持。", None),
        ("感谢{客户称呼}的支持。", "感谢您的支持。", "感谢贵公司的支持。"),
    ],
)
def test_no_known_salutation_gives_the_neutral_form(body, person, organisation):
    assert fill_salutation(body, "") == person
    assert fill_salutation(body, "", organisation=True) == (organisation or person)
    assert fill_salutation(body, "周先生").count("周先生") == 1


def test_a_person_of_unknown_gender_is_never_called_by_full_name():
    customer = CustomerFactory(name="周建国", gender="", kind="individual")
    phrases = _phrases(TicketFactory(customer=customer, contact_name="周建国"))
    assert phrases["接听问候"]["text"].startswith("您好，这里是客户服务中心")
    assert phrases["回电问候"]["text"].startswith("您好，我是客服中心的客服专员")
    for phrase in phrases.values():
        text = phrase["text"]
        assert "周建国" not in text and "{" not in text and "，，" not in text, text
        assert not text.startswith(("，", "您，")), text


def test_an_organisation_is_addressed_as_贵公司_or_by_its_contact():
    company = CustomerFactory(name="杭州海尔专卖店", kind="organization", gender="")
    phrases = _phrases(TicketFactory(customer=company, contact_name="杭州海尔专卖店"))
    assert phrases["回电问候"]["text"].startswith("贵公司您好，")
    assert not any("海尔专卖店" in phrase["text"] for phrase in phrases.values())
    phrases = _phrases(TicketFactory(customer=company, contact_name="王采购经理"))
    assert phrases["接听问候"]["text"].startswith("您好，王经理，")


def test_a_phrase_without_a_promised_date_is_unavailable_with_the_reason():
    customer = CustomerFactory(name="周建国", gender="male", kind="individual")
    phrases = _phrases(TicketFactory(customer=customer))
    confirm = phrases["受理确认"]
    assert confirm["available"] is False and confirm["text"] == ""
    assert confirm["missing"] == ["{承诺日期}"] and "{承诺日期}" in confirm["reason"]
    assert phrases["转交处理"]["available"] is False
    assert phrases["致歉"]["available"] is True and phrases["致歉"]["reason"] == ""
    needing_no_date = [title for _c, title, body in STANDARD_PHRASES if "{承诺日期}" not in body]
    assert all(phrases[title]["available"] for title in needing_no_date)


def test_with_a_promised_date_the_phrase_is_filled():
    from huitou.complaints.tests.factories import make_complaint

    complaint = make_complaint()
    complaint.promised_date = complaint.received_at.date().replace(month=11, day=25)
    complaint.save()
    confirm = _phrases(complaint.ticket)["受理确认"]
    assert confirm["available"] is True and "11月25日前给您明确答复" in confirm["text"]


def test_the_api_marks_the_phrase_unavailable(api_as):
    ticket = TicketFactory(customer=CustomerFactory(name="周建国", gender=""))
    response = api_as(UserFactory(role="agent")).get("phrases/standard", ticket=ticket.pk)
    assert response.status_code == 200
    phrases = {p["title"]: p for group in response.json() for p in group["phrases"]}
    assert phrases["受理确认"]["available"] is False
    assert phrases["受理确认"]["text"] == "" and "{承诺日期}" in phrases["受理确认"]["reason"]
    assert phrases["致歉"]["available"] is True
    assert phrases["致歉"]["text"] == "非常抱歉给您带来了不便，我们一定尽快为您解决。"


def test_the_picker_disables_the_phrase_and_says_why(client):
    ticket = TicketFactory(customer=CustomerFactory(name="周建国", gender=""))
    client.force_login(UserFactory(role="agent"))
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    picker = page.split('id="phrase-picker"')[1].split("</details>")[0]
    assert 'data-phrase="' in picker  # the available phrases can still be inserted
    assert not any("{承诺日期}" in chunk.split('"')[0] for chunk in picker.split('data-phrase="'))
    assert "disabled" in picker and "缺少 {承诺日期}" in picker
    assert "周建国" not in picker
