from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "keepfaith.consent"
    label = "consent"
    verbose_name = "Consent ledger"
