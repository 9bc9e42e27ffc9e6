"""The kinds of notification the storefront app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register

KINDS: dict[str, Kind] = {
    "provider_opened": Kind(
        title=_("Your storefront is open"),
        body=_(
            "「%(display_name)s」 is ready. Add photos and a voice sample so callers know who they will meet."  # noqa: E501
        ),
    ),
}


def register() -> None:
    kinds_register(KINDS)
