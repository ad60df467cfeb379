from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "huitou.surveys"
    label = "surveys"
    verbose_name = _("满意度调查")

    def ready(self) -> None:
        # Wiring, once the app registry is ready: the rating invite follows tickets and chats.
        # panels registers the ticket-page panel on import.
        from . import panels, personal_data, subscribers  # noqa: F401

        # The customer portal's surveys section (portal imports no surveys module).
        from .views.distribution import register_portal_section

        subscribers.register()
        register_portal_section()
        personal_data.register()
