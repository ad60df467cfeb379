from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "huitou.mail"
    label = "mail"
    verbose_name = _("邮件渠道")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from . import subscribers

        subscribers.register()  # its place in the order is stated in tickets.events
