from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from huitou.core.views import healthz

from .api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tickets:inbox", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("huitou.accounts.urls")),
    path("customers/", include("huitou.customers.urls")),
    path("tickets/", include("huitou.tickets.urls")),
]
