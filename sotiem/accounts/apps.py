from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sotiem.accounts"
    label = "accounts"
