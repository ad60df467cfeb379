from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("", views.sla_overview_view, name="overview"),
    path("duty/", views.duty_toggle_view, name="duty"),
    path("transfer/<int:ticket_id>/", views.ticket_transfer_view, name="transfer"),
]
