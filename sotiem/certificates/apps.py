from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "sotiem.certificates"
    verbose_name = _("Certificates")  # the admin's section heading
    label = "certificates"

    def ready(self) -> None:
        from sotiem.certificates.receivers import connect

        connect()
