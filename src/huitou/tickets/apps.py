from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "huitou.tickets"
    label = "tickets"
    verbose_name = _("工单")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from . import personal_data

        personal_data.register()  # the customer's tickets in exports, erasure, retention
