"""Live updates on staff screens: the inbox hears of tickets it may show, a ticket page
hears messages and who else is typing, the notification count and rings."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.chat.models import ChatSeat, ChatSession
from huitou.chat.tests.conftest import (
    customer_socket,
    drain,
    frames_until,
    hand_off,
    run,
    staff_socket,
)
from huitou.config.asgi import application
from huitou.core.notifications import do_notify
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.services import do_ticket_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_page_without_a_login_gets_no_staff_socket():
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/staff/", headers=[(b"origin", b"http://127.0.0.1")]
        )
        connected, code = await communicator.connect()
        assert not connected and code == 4403

    run(scenario)


def test_a_socket_from_another_site_is_refused(agent):
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/staff/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _code = await communicator.connect()
        assert not connected

    run(scenario)


def test_the_inbox_hears_only_of_tickets_its_user_may_see(agent):
    sales = DepartmentFactory(name="销售部")
    service = DepartmentFactory(name="售后部")
    handler = UserFactory(role="handler", department=service)

    def file(department):
        return do_ticket_create(
            actor=agent,
            customer=CustomerFactory(),
            channel="phone",
            type="consultation",
            subject="问题",
            department=department,
        )

    async def scenario():
        desk = await staff_socket(agent)
        theirs = await staff_socket(handler)
        other = await sync_to_async(file)(sales)
        own = await sync_to_async(file)(service)
        desk_ids = {f["id"] for f in await drain(desk, timeout=0.6) if f["type"] == "ticket"}
        handler_ids = {f["id"] for f in await drain(theirs, timeout=0.6) if f["type"] == "ticket"}
        assert {other.pk, own.pk} <= desk_ids
        assert own.pk in handler_ids and other.pk not in handler_ids
        await desk.disconnect()
        await theirs.disconnect()

    run(scenario)


def test_a_ticket_page_warns_when_someone_else_is_typing_a_reply(agent):
    colleague = UserFactory(role="agent", full_name="李客服")

    async def scenario():
        body = await hand_off(Client())
        chat = await sync_to_async(ChatSession.objects.get)()
        mine, theirs = await staff_socket(agent), await staff_socket(colleague)
        for socket in (mine, theirs):
            await socket.send_json_to({"type": "watch", "ticket": chat.ticket_id})
            await frames_until(socket, lambda f: f["type"] == "watching")
        customer = await customer_socket(body["live"])
        await theirs.send_json_to({"type": "typing", "ticket": chat.ticket_id})
        frames = await frames_until(mine, lambda f: f["type"] == "typing")
        assert frames[-1]["name"] == "李客服" and frames[-1]["who"] == "agent"
        assert not [f for f in await drain(theirs) if f["type"] == "typing"]  # not their own
        seen = await frames_until(customer, lambda f: f["type"] == "typing")
        assert seen[-1]["who"] == "agent"
        await mine.send_json_to({"type": "typing", "ticket": 999999})
        error = await frames_until(mine, lambda f: f["type"] == "error")
        assert error[-1]["field"] == "ticket"
        for socket in (mine, theirs, customer):
            await socket.disconnect()

    run(scenario)


def file_elsewhere(agent):
    return do_ticket_create(
        actor=agent,
        customer=CustomerFactory(),
        channel="phone",
        type="consultation",
        subject="别部门的",
    )


def test_watching_a_ticket_out_of_scope_is_refused(agent):
    handler = UserFactory(role="handler", department=DepartmentFactory(name="售后部"))

    async def scenario():
        ticket = await sync_to_async(file_elsewhere)(agent)
        socket = await staff_socket(handler)
        await socket.send_json_to({"type": "watch", "ticket": ticket.pk})
        frames = await frames_until(socket, lambda f: f["type"] in ("error", "watching"))
        assert frames[-1]["type"] == "error" and frames[-1]["code"] == "not_found"
        await socket.disconnect()

    run(scenario)


def test_a_new_notification_updates_the_count_and_a_major_complaint_rings(agent):
    quiet = UserFactory(role="supervisor")

    def notify():
        ChatSeat.objects.create(user=quiet, ring_major_complaint=False)
        do_notify(
            recipients=[agent, quiet], kind="major_complaint", title="重大投诉：T1", url="/t/1"
        )

    async def scenario():
        loud_socket, quiet_socket = await staff_socket(agent), await staff_socket(quiet)
        await sync_to_async(notify)()
        loud = await drain(loud_socket, timeout=0.6)
        hushed = await drain(quiet_socket, timeout=0.6)
        assert {"type": "notifications", "unread": 1} in loud
        assert [f["kind"] for f in loud if f["type"] == "ring"] == ["major"]
        assert {"type": "notifications", "unread": 1} in hushed
        assert not [f for f in hushed if f["type"] == "ring"]
        await loud_socket.disconnect()
        await quiet_socket.disconnect()

    run(scenario)


def test_a_new_waiting_chat_rings_the_queues_agents(agent):
    async def scenario():
        socket = await staff_socket(agent)
        await hand_off(Client())
        frames = await frames_until(socket, lambda f: f["type"] == "ring")
        assert frames[-1]["kind"] == "chat" and "/chat/?session=" in frames[-1]["url"]
        await socket.disconnect()

    run(scenario)
