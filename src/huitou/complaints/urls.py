from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list_view, name="list"),
    path("callbacks/", views.callback_list_view, name="callbacks"),
    path("alerts/", views.alert_list_view, name="alerts"),
    path("analysis/", views.analysis_view, name="analysis"),
    path("qa/", views.qa_view, name="qa"),
    path("<int:ticket_id>/<slug:action>/", views.complaint_action_view, name="action"),
]
