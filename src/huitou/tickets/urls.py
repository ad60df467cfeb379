from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("new/phone/", views.phone_ticket_view, name="new_phone"),
    path("new/phone/lookup/", views.customer_lookup_view, name="customer_lookup"),
    path("phrases/check/", views.phrase_check_view, name="phrase_check"),
    path("<int:ticket_id>/", views.ticket_detail_view, name="detail"),
    path("<int:ticket_id>/reply/", views.ticket_reply_view, name="reply"),
    path("<int:ticket_id>/update/", views.ticket_update_view, name="update"),
    path("attachments/<int:attachment_id>/", views.attachment_download_view, name="attachment"),
]
