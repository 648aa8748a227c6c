from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "keepfaith.support"
    label = "support"
    verbose_name = "Support"
