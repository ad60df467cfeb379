from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "huitou.accounts"
    label = "accounts"
    verbose_name = _("账号与组织")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from django.contrib.auth.signals import user_logged_in

        from .middleware import start_staff_session
        from .roles import ensure_role_groups_after_migrate

        post_migrate.connect(ensure_role_groups_after_migrate)
        user_logged_in.connect(start_staff_session, dispatch_uid="huitou.start_staff_session")
