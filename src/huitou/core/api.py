"""/api/v1/notifications: the signed-in user's notification centre."""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from .notifications import do_notification_read, unread_notification_count, user_notifications
from .pagination import ApiPagination

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class ReadOut(Schema):
    marked: int
    unread: int


@router.get("", response=list[NotificationOut])
@paginate(ApiPagination)
def notifications_list(request, unread_only: bool = False):
    return user_notifications(user=request.user, unread_only=unread_only)


@router.post("/read", response=ReadOut)
def notifications_read_all(request):
    marked = do_notification_read(user=request.user)
    return {"marked": marked, "unread": unread_notification_count(user=request.user)}


@router.post("/{notification_id}/read", response=ReadOut)
def notifications_read(request, notification_id: int):
    marked = do_notification_read(user=request.user, notification_id=notification_id)
    return {"marked": marked, "unread": unread_notification_count(user=request.user)}
