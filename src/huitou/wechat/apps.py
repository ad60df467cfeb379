from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatConfig(AppConfig):
    name = "huitou.wechat"
    label = "wechat"
    verbose_name = _("微信渠道")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from . import subscribers

        subscribers.register()  # its place in the order is stated in tickets.events
