from django.urls import path

from . import views
from .consumers import CustomerChatConsumer, StaffConsumer

app_name = "chat"

urlpatterns = [
    path("", views.console_view, name="console"),
    path("lists/", views.lists_view, name="lists"),
    path("seat/", views.seat_view, name="seat"),
    path("<int:session_id>/", views.conversation_view, name="conversation"),
    path("<int:session_id>/accept/", views.accept_view, name="accept"),
    path("<int:session_id>/send/", views.send_view, name="send"),
    path("<int:session_id>/transfer/", views.transfer_view, name="transfer"),
    path("<int:session_id>/end/", views.end_view, name="end"),
]

# WebSockets (config.asgi mounts them).
websocket_urlpatterns = [
    path("ws/chat/<str:token>/", CustomerChatConsumer.as_asgi()),
    path("ws/staff/", StaffConsumer.as_asgi()),
]
