from django.apps import AppConfig


class CertsConfig(AppConfig):
    name = "keepfaith.certs"
    label = "certs"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from keepfaith.certs import checks  # noqa: F401  (registers the system checks)
