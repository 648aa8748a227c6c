from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "keepfaith.vault"
    label = "vault"
    verbose_name = "Card vault"
