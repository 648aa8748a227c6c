from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "keepfaith.audit"
    label = "audit"
    verbose_name = "Audit log"
