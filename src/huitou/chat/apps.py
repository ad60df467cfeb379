from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "huitou.chat"
    label = "chat"
    verbose_name = _("在线客服")

    def ready(self) -> None:
        # Wiring, once the app registry is ready: the live part follows the ticket events.
        from . import personal_data, subscribers

        subscribers.register()
        personal_data.register()
