from django.apps import AppConfig


class VersionsConfig(AppConfig):
    name = "keepfaith.versions"
    label = "versions"
    verbose_name = "Policy versions"
