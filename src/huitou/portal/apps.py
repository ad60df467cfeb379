from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "huitou.portal"
    label = "portal"
    verbose_name = _("客户门户")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from . import personal_data

        personal_data.register()  # sign-in codes in personal-data exports and erasure
