from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "sotiem.certificates"
    label = "certificates"

    def ready(self) -> None:
        from sotiem.certificates.receivers import connect

        connect()
