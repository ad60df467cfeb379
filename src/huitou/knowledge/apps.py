from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "huitou.knowledge"
    label = "knowledge"
    verbose_name = _("知识库")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from . import panels  # noqa: F401  (registers the ticket-page panels)
