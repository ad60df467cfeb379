from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "huitou.sla"
    label = "sla"
    verbose_name = _("服务标准与分配")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        # panels registers the ticket-page panels on import.
        from . import panels, subscribers  # noqa: F401

        subscribers.register()  # its place in the order is stated in tickets.events
