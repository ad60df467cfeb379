from django.urls import path

from . import views

app_name = "help"

urlpatterns = [
    path("", views.help_home_view, name="home"),
    path("faq/<int:entry_id>/", views.help_entry_view, name="entry"),
    path("faq/<int:entry_id>/vote/", views.help_vote_view, name="vote"),
    path("ticket/", views.help_ticket_view, name="ticket"),
]
