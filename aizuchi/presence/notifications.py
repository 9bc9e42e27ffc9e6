"""The kinds of notification the presence app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register

KINDS: dict[str, Kind] = {
    "favourite_on_standby": Kind(
        title=_("%(provider)s is waiting for callers now"),
        body=_("Someone in your favourites has just gone on standby. You can call or chat now."),
    ),
}


def register() -> None:
    kinds_register(KINDS)
