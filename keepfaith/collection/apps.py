from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "keepfaith.collection"
    label = "collection"
    verbose_name = "Collection points"
