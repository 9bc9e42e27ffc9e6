from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "aizuchi.core"
    label = "core"
    verbose_name = "Aizuchi core"
