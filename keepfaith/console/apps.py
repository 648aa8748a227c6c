from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "keepfaith.console"
    label = "console"
    verbose_name = "Staff console"
