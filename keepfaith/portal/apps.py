from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "keepfaith.portal"
    label = "portal"
    verbose_name = "Public site and customer portal"
