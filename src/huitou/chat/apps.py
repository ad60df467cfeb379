from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "huitou.chat"
    label = "chat"
    verbose_name = _("在线客服")

    def ready(self) -> None:
        from . import subscribers  # wiring: the live part follows the ticket events

        subscribers.register()
