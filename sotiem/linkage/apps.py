from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "sotiem.linkage"
    verbose_name = _("Record linkage")  # the admin's section heading
    label = "linkage"
