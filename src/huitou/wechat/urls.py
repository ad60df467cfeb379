from django.urls import path

from . import views

app_name = "wechat"

urlpatterns = [
    path("oa/", views.oa_callback, name="oa"),
    path("kf/", views.kf_callback, name="kf"),
]
