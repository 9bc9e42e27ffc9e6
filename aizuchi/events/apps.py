from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "aizuchi.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from . import notifications, sections

        notifications.register()
        sections.register()
