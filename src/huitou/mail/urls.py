from django.urls import path

from . import views

app_name = "mail"

urlpatterns = [
    path("messages/<int:message_id>/resend/", views.resend_view, name="resend"),
    path("solved/<str:token>/", views.solved_view, name="solved"),
]
