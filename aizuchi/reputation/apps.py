from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReputationConfig(AppConfig):
    name = "aizuchi.reputation"
    label = "reputation"
    verbose_name = _("Reputation")

    def ready(self) -> None:
        from . import notifications, sections

        notifications.register()
        sections.register()
