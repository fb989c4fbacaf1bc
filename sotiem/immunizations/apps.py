from django.apps import AppConfig


class ImmunizationsConfig(AppConfig):
    name = "sotiem.immunizations"
    label = "immunizations"
