from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "aizuchi.access"
    label = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from . import notifications

        notifications.register()
