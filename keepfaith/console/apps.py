from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "keepfaith.console"
    label = "console"
    verbose_name = "Staff console"

    def ready(self) -> None:
        from keepfaith.console import checks  # noqa: F401 - registers the system check
