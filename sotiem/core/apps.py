from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sotiem.core"
    label = "core"
