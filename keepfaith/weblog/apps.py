from django.apps import AppConfig


class WeblogAppConfig(AppConfig):
    """Access-log analytics that cannot identify anyone (clauses BE-5, QS-6)."""

    name = "keepfaith.weblog"
    label = "weblog"
    verbose_name = "Web-log analytics"
