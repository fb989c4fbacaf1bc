from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "sotiem.interop"
    verbose_name = _("Interoperability")  # the admin's section heading
    label = "interop"
