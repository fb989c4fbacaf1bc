from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sotiem.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from sotiem.accounts import checks  # noqa: F401 (registers the deployment checks)
        from sotiem.accounts.login import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="sotiem.accounts.login_failed")
