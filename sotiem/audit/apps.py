from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sotiem.audit"
    label = "audit"
