from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "keepfaith.portal"
    label = "portal"
    verbose_name = "Public site and customer portal"

    def ready(self) -> None:
        from keepfaith.portal import reconsent  # noqa: F401 - connects the login signal
