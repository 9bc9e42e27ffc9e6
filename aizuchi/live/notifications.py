"""The kinds of notification the live app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register

KINDS: dict[str, Kind] = {
    "session_missed": Kind(
        title=_("You missed a call from %(customer)s"),
        body=_(
            "They rang while your standby page was not answering. A short message may bring them back."  # noqa: E501
        ),
    ),
}


def register() -> None:
    kinds_register(KINDS)
