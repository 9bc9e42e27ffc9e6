from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "aizuchi.live"
    label = "live"
    verbose_name = _("Live sessions")

    def ready(self) -> None:
        from . import notifications

        notifications.register()
