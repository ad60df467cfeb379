from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "huitou.notify"
    label = "notify"
    verbose_name = _("客户通知")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        # panels registers the ticket-page panel on import.
        from . import panels, subscribers  # noqa: F401

        subscribers.register()  # its place in the order is stated in tickets.events
