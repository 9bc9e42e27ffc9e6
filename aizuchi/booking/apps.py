from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "aizuchi.booking"
    label = "booking"
    verbose_name = _("Reservations")

    def ready(self) -> None:
        from . import notifications, sections

        notifications.register()
        sections.register()
