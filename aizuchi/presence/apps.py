from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PresenceConfig(AppConfig):
    """Where providers are right now: state changes, the away sweep, the watch socket.

    The state itself is a column of ``storefront.Provider`` (every page reads it without a
    join); this app is its only writer."""

    name = "aizuchi.presence"
    label = "presence"
    verbose_name = _("Presence")

    def ready(self) -> None:
        from . import notifications

        notifications.register()
