"""The WebSocket ends of live chat (web layer, like views).

Customer: /ws/chat/<token>/ (the token a hand-off returns). Frames in: {"type": "message",
"body"}, {"type": "resume", "after": id}, {"type": "typing"}, {"type": "read", "upto": id}.
Frames out: {"type": "message", "id", "body", "author", "sender", "at"}, "state", "queue",
"typing", "read", "error". Each message reaches a connection once: it remembers the ids it
sent, so a resume racing a live broadcast doubles nothing.

Staff: /ws/staff/ with the login session. Frames in: {"type": "watch"/"unwatch", "ticket"},
{"type": "typing", "ticket"}, {"type": "read", "ticket", "upto"}. Frames out: "ticket"
(inbox), "message", "changed", "typing", "read", "chats", "notifications", "ring"."""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404

from huitou.accounts.scope import sees_all_departments
from huitou.core.errors import DomainError
from huitou.core.notifications import unread_notification_count
from huitou.tickets.selectors import access_ticket

from . import live
from .models import ChatSession
from .selectors import customer_messages, session_for_ticket, session_id_for_token, state_frame
from .services import do_chat_customer_say, do_chat_read

# A customer may send this many messages per this many seconds on one connection.
MESSAGE_BURST, MESSAGE_WINDOW = 10, 10.0


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def live_frame(self, event) -> None:
        frame = event["frame"]
        if frame.get("type") == "message":
            if frame["id"] in self.sent:
                return
            self.sent.add(frame["id"])
        if self.wants(frame):
            await self.send_json(frame)

    def wants(self, frame: dict) -> bool:
        return True

    async def error(self, detail: str, *, field: str = "", code: str = "") -> None:
        await self.send_json({"type": "error", "detail": detail, "field": field, "code": code})


def _customer_session(token: str) -> ChatSession | None:
    session_id = session_id_for_token(token)
    if session_id is None:
        return None
    return ChatSession.objects.select_related("ticket", "agent").filter(pk=session_id).first()


def _replay(session_id: int, after: int) -> list[dict]:
    session = ChatSession.objects.get(pk=session_id)
    return [live.message_frame(message) for message in customer_messages(session, after=after)]


def _state(session_id: int) -> dict:
    return state_frame(ChatSession.objects.select_related("ticket", "agent").get(pk=session_id))


class CustomerChatConsumer(LiveConsumer):
    async def connect(self) -> None:
        session = await database_sync_to_async(_customer_session)(
            self.scope["url_route"]["kwargs"]["token"]
        )
        if session is None:
            await self.close(code=4403)
            return
        self.session_id, self.ticket_id = session.pk, session.ticket_id
        self.sent: set[int] = set()
        self.recent: list[float] = []
        await self.channel_layer.group_add(live.chat_group(session.pk), self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(_state)(session.pk))
        after = _query_int(self.scope, "after")
        if after is not None:
            await self.resume(after)

    async def disconnect(self, code) -> None:
        if hasattr(self, "session_id"):
            await self.channel_layer.group_discard(
                live.chat_group(self.session_id), self.channel_name
            )

    async def resume(self, after: int) -> None:
        for frame in await database_sync_to_async(_replay)(self.session_id, after):
            if frame["id"] not in self.sent:
                self.sent.add(frame["id"])
                await self.send_json(frame)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "message":
            await self.say(content.get("body"))
        elif kind == "resume":
            after = content.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self.error("after must be a message id", field="after")
                return
            await self.resume(after)
        elif kind == "typing":
            frame = {"type": "typing", "who": "customer", "ticket": self.ticket_id}
            await self.channel_layer.group_send(
                live.ticket_group(self.ticket_id), {"type": "live.frame", "frame": frame}
            )
        elif kind == "read":
            upto = content.get("upto")
            try:
                await database_sync_to_async(do_chat_read)(
                    session_id=self.session_id, side="customer", upto=upto
                )
            except DomainError as error:
                await self.error(str(error.message), field=error.field or "upto")
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error("unknown frame type", field="type")

    async def say(self, body) -> None:
        if not isinstance(body, str):
            await self.error("body must be text", field="body")
            return
        now = time.monotonic()
        self.recent = [at for at in self.recent if now - at < MESSAGE_WINDOW]
        if len(self.recent) >= MESSAGE_BURST:
            await self.error("too many messages, slow down", field="body", code="rate_limited")
            return
        self.recent.append(now)
        try:
            await database_sync_to_async(do_chat_customer_say)(
                session_id=self.session_id, body=body
            )
        except DomainError as error:
            await self.error(str(error.message), field=error.field or "body", code=error.code)

    def wants(self, frame: dict) -> bool:
        # The customer never sees internal notes, nor their own typing.
        if frame.get("type") == "message" and not frame.get("public", True):
            return False
        return not (frame.get("type") == "typing" and frame.get("who") == "customer")


def _query_int(scope, name: str) -> int | None:
    for pair in scope.get("query_string", b"").decode("latin-1").split("&"):
        key, _sep, value = pair.partition("=")
        if key == name and value.isdigit():
            return int(value)
    return None


def _staff_profile(user) -> dict | None:
    if not user.is_authenticated or not user.has_perm("tickets.view_ticket"):
        return None
    return {
        "all": sees_all_departments(user),
        "department": user.department_id,
        "name": user.display_name,
        "unread": unread_notification_count(user=user),
    }


def _watch(user, ticket_id: int) -> int | None:
    try:
        access_ticket(user=user, ticket_id=ticket_id)
    except (Http404, PermissionDenied):
        return None
    session = session_for_ticket(ticket_id)
    return session.pk if session is not None else 0


class StaffConsumer(LiveConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        profile = await database_sync_to_async(_staff_profile)(self.user) if self.user else None
        if profile is None:
            await self.close(code=4403)
            return
        self.profile, self.sent, self.watching = profile, set(), {}
        self.groups_joined = [live.STAFF_GROUP, live.user_group(self.user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": profile["unread"]})

    async def disconnect(self, code) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        ticket_id = content.get("ticket") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            await self.error("ticket must be a ticket id", field="ticket")
            return
        if kind == "watch":
            session_id = await database_sync_to_async(_watch)(self.user, ticket_id)
            if session_id is None:
                await self.error("no such ticket", field="ticket", code="not_found")
                return
            self.watching[ticket_id] = session_id
            group = live.ticket_group(ticket_id)
            self.groups_joined.append(group)
            await self.channel_layer.group_add(group, self.channel_name)
            await self.send_json({"type": "watching", "ticket": ticket_id})
        elif kind == "unwatch" and ticket_id in self.watching:
            del self.watching[ticket_id]
            await self.channel_layer.group_discard(live.ticket_group(ticket_id), self.channel_name)
        elif kind == "typing" and ticket_id in self.watching:
            frame = {
                "type": "typing",
                "who": "agent",
                "ticket": ticket_id,
                "name": self.profile["name"],
                "user": self.user.pk,
            }
            await self.channel_layer.group_send(
                live.ticket_group(ticket_id), {"type": "live.frame", "frame": frame}
            )
            if self.watching[ticket_id]:
                await self.channel_layer.group_send(
                    live.chat_group(self.watching[ticket_id]),
                    {"type": "live.frame", "frame": frame},
                )
        elif kind == "read" and self.watching.get(ticket_id):
            try:
                await database_sync_to_async(do_chat_read)(
                    session_id=self.watching[ticket_id], side="agent", upto=content.get("upto")
                )
            except DomainError as error:
                await self.error(str(error.message), field=error.field or "upto")
        elif kind in ("unwatch", "typing", "read"):
            await self.error("watch the ticket first", field="ticket")
        else:
            await self.error("unknown frame type", field="type")

    def wants(self, frame: dict) -> bool:
        if frame.get("type") == "ticket" and not self.profile["all"]:
            # accounts.scope: without the all-departments right, only their own department.
            department = frame.get("department")
            return department is not None and department == self.profile["department"]
        # Their own typing is not news to them.
        return not (frame.get("type") == "typing" and frame.get("user") == self.user.pk)
