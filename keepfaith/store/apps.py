from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "keepfaith.store"
    label = "store"
    verbose_name = "Shop"
