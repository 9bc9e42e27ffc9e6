from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "aizuchi.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from aizuchi.booking.services.bookings import booking_made_listen

        from . import notifications, sections
        from .services.threads import booking_note_add

        notifications.register()
        sections.register()
        booking_made_listen(booking_note_add)
