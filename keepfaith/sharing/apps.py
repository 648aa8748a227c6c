from django.apps import AppConfig


class SharingAppConfig(AppConfig):
    """Aggregate releases to partners that cannot identify anyone (clause BE-6)."""

    name = "keepfaith.sharing"
    label = "sharing"
    verbose_name = "Partner releases"
