from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "huitou.sla"
    label = "sla"
    verbose_name = _("服务标准与分配")
