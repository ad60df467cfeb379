from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("account/", views.sign_in_view, name="sign_in"),
    path("account/code/", views.sign_in_code_view, name="sign_in_code"),
    path("account/link/<str:token>/", views.sign_in_link_view, name="sign_in_link"),
    path("account/logout/", views.sign_out_view, name="sign_out"),
    path("my/", views.my_tickets_view, name="tickets"),
    path("my/<int:ticket_id>/", views.ticket_view, name="ticket"),
    path("my/<int:ticket_id>/reply/", views.reply_view, name="reply"),
    path("my/<int:ticket_id>/resolve/", views.resolve_view, name="resolve"),
    path("my/<int:ticket_id>/reopen/", views.reopen_view, name="reopen"),
    path("my/<int:ticket_id>/files/<int:attachment_id>/", views.file_view, name="file"),
    path("t/<str:token>/", views.guest_ticket_view, name="guest"),
    path("t/<str:token>/reply/", views.guest_reply_view, name="guest_reply"),
    path("t/<str:token>/resolve/", views.guest_resolve_view, name="guest_resolve"),
    path("t/<str:token>/reopen/", views.guest_reopen_view, name="guest_reopen"),
    path("t/<str:token>/files/<int:attachment_id>/", views.guest_file_view, name="guest_file"),
]
