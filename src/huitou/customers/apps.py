from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "huitou.customers"
    label = "customers"
    verbose_name = _("客户档案")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from . import panels  # noqa: F401  (registers the ticket-page panels)
