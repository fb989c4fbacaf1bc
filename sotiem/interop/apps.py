from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "sotiem.interop"
    label = "interop"
