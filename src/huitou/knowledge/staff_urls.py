from django.urls import path

from . import staff_views

app_name = "kb"

urlpatterns = [path("analytics/", staff_views.bot_analytics_view, name="analytics")]
