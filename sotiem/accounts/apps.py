from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sotiem.accounts"
    verbose_name = _("Accounts")  # the admin's section heading
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from sotiem.accounts import checks  # noqa: F401 (registers the deployment checks)
        from sotiem.accounts.login import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="sotiem.accounts.login_failed")
