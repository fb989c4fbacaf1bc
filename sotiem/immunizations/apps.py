from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImmunizationsConfig(AppConfig):
    name = "sotiem.immunizations"
    verbose_name = _("Immunizations")  # the admin's section heading
    label = "immunizations"

    def ready(self) -> None:
        # people moves doses and appointments on merge, unmerge and split without importing this app
        from sotiem.immunizations.person_rows import register

        register()
