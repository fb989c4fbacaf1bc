from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sotiem.core"
    verbose_name = _("Registry")  # the admin's section heading
    label = "core"
