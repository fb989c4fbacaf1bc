from django.apps import AppConfig


class ImmunizationsConfig(AppConfig):
    name = "sotiem.immunizations"
    label = "immunizations"

    def ready(self) -> None:
        # people moves doses and appointments on merge, unmerge and split without importing this app
        from sotiem.immunizations.person_rows import register

        register()
