from django.urls import path

from . import views

app_name = "sms"

urlpatterns = [
    path("receipts/<str:provider>/", views.receipts, name="receipts"),
]
