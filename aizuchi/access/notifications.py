"""The kinds of notification the access app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register

KINDS: dict[str, Kind] = {
    "appointment_invitation": Kind(
        title=_("%(provider)s is waiting for you"),
        body=_("You are invited in for the next %(minutes)s minutes. Open their page to start."),
    ),
}


def register() -> None:
    kinds_register(KINDS)
