from django.urls import path

from . import verify_views, views

app_name = "help"

urlpatterns = [
    path("", views.help_home_view, name="home"),
    path("faq/<int:entry_id>/", views.help_entry_view, name="entry"),
    path("faq/<int:entry_id>/vote/", views.help_vote_view, name="vote"),
    path("ticket/", views.help_ticket_view, name="ticket"),
    path("ticket/verify/<str:token>/", verify_views.help_verify_view, name="verify"),
    path("ticket/verify/<str:token>/send/", verify_views.help_verify_send_view, name="verify_send"),
]
