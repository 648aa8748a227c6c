from django.apps import AppConfig


class KeepfaithConfig(AppConfig):
    """The project package as an app: its deployment checks (``keepfaith/checks.py``)."""

    name = "keepfaith"
    label = "keepfaith"
    verbose_name = "keepfaith"

    def ready(self) -> None:
        from keepfaith.checks import register_checks

        register_checks()
