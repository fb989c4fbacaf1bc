from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "sotiem.linkage"
    label = "linkage"
