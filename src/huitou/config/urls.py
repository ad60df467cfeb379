from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView

from huitou.core.views import favicon, healthz, notifications_view
from huitou.surveys.urls import public_urlpatterns as survey_public_urls

from .api import api

# The Django admin is where an administrator configures the service (SLA, queues, staff).
admin.site.site_header = _("回头 Huitou 管理后台")
admin.site.site_title = _("回头 Huitou 管理后台")
admin.site.index_title = _("回头 Huitou 管理后台")


@csrf_exempt  # any method: an unknown API path is a JSON 404, never a CSRF page
def api_not_found(request):
    return JsonResponse({"detail": "Not Found"}, status=404)


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tickets:inbox", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", api_not_found),  # unknown API paths answer JSON too
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("huitou.accounts.urls")),
    path("customers/", include("huitou.customers.urls")),
    path("tickets/", include("huitou.tickets.urls")),
    path("complaints/", include("huitou.complaints.urls")),
    path("sla/", include("huitou.sla.urls")),
    path("mail/", include("huitou.mail.urls")),
    path("notify/", include("huitou.notify.urls")),
    path("sms/", include("huitou.sms.urls")),
    path("help/", include("huitou.knowledge.urls")),
    path("help/", include("huitou.portal.urls")),
    path("kb/", include("huitou.knowledge.staff_urls")),
    path("chat/", include("huitou.chat.urls")),
    path("wechat/", include("huitou.wechat.urls")),  # WeChat's servers call these
    path("surveys/", include("huitou.surveys.urls")),
    path("quality/", include("huitou.quality.urls")),
    path("s/", include((survey_public_urls, "survey_public"))),  # customers: no login
    path("notifications/", notifications_view, name="notifications"),
]
