"""Who a ticket is offered to, and by what name: people by their names, never service accounts."""

import pytest
from django.urls import reverse

from huitou.accounts.selectors import assignable_agents
from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.knowledge.bot import bot_user
from huitou.sla.forms import TransferForm
from huitou.sla.models import Queue
from huitou.tickets.forms import TicketUpdateForm
from huitou.tickets.services import do_ticket_update
from huitou.tickets.tests.factories import TicketFactory


@pytest.fixture
def staff(db):
    return {
        "agent": UserFactory(username="agent_login", full_name="陈静", role="agent"),
        "supervisor": UserFactory(username="boss_login", full_name="王强", role="supervisor"),
        "handler": UserFactory(username="handler_login", full_name="李娜", role="handler"),
        "qa": UserFactory(username="qa_login", full_name="赵敏", role="qa"),
        "inactive": _inactive(UserFactory(username="gone_login", role="agent")),
        "bot": bot_user(),
    }


def _inactive(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.mark.django_db
def test_assignable_people_are_active_staff_who_take_tickets_and_not_service_accounts(staff):
    offered = set(assignable_agents())
    assert offered == {staff["agent"], staff["supervisor"], staff["handler"]}
    assert staff["bot"].role == "agent"  # the bot files tickets as an agent, yet is not offered


@pytest.mark.django_db
def test_a_user_reads_as_their_name():
    assert str(UserFactory(username="agent9", full_name="陈静")) == "陈静"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_form",
    [
        lambda: TicketUpdateForm(assignee_queryset=assignable_agents()),
        TransferForm,
    ],
    ids=["update-form", "transfer-form"],
)
def test_assignee_choices_show_names_and_not_the_bot(staff, make_form):
    labels = [label for value, label in make_form().fields["assignee"].choices if value]
    assert "陈静（客服坐席）" in labels
    assert any(label.startswith("李娜（责任部门处理人 · ") for label in labels)
    text = " ".join(labels)
    assert "_login" not in text and "huitou-bot" not in text and "智能客服" not in text


@pytest.mark.django_db
def test_the_ticket_page_offers_names_and_never_the_bot(client, staff):
    client.force_login(staff["supervisor"])
    ticket = TicketFactory(assignee=staff["agent"])
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    forms = page.split('id="update-form"')[1]
    assert "陈静（客服坐席）" in forms
    assert f'value="{staff["bot"].pk}"' not in forms
    assert "_login" not in forms and "huitou-bot" not in forms


@pytest.mark.django_db
def test_the_service_refuses_a_service_account_as_assignee_naming_the_field(staff):
    ticket = TicketFactory()
    with pytest.raises(DomainError) as caught:
        do_ticket_update(
            actor=staff["supervisor"], ticket=ticket, changes={"assignee": staff["bot"]}
        )
    assert caught.value.field == "assignee"
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.django_db
def test_the_api_refuses_assigning_or_transferring_to_a_service_account(api_as, staff):
    api = api_as(staff["supervisor"])
    ticket = TicketFactory()
    for response in (
        api.patch(f"tickets/{ticket.pk}", {"assignee": staff["bot"].pk}),
        api.post(f"tickets/{ticket.pk}/transfer", {"assignee": staff["bot"].pk, "reason": "试试"}),
    ):
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"][-1] == "assignee"
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.django_db
def test_routing_never_hands_a_ticket_to_a_service_account_in_a_queue(staff):
    from huitou.sla.routing import pick_agent

    queue = Queue.objects.create(name="机器人误入的队列")
    queue.members.set([staff["bot"]])
    assert pick_agent(queue, TicketFactory()) is None
    queue.members.add(staff["agent"])
    assert pick_agent(queue, TicketFactory()) == staff["agent"]
