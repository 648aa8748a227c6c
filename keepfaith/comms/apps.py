from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "keepfaith.comms"
    label = "comms"
    verbose_name = "Mail"
