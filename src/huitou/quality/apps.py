from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "huitou.quality"
    label = "quality"
    verbose_name = _("质检")

    def ready(self) -> None:
        # Wiring: the QA scores join the quality-evaluation report (surveys).
        from . import measures

        measures.register()
