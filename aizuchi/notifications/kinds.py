"""What each kind of notification says.

A notification stores its kind and parameters, not its text, so it reads in the
language of whoever looks at it, even after they switch language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    title: Promise
    body: Promise


KINDS: dict[str, Kind] = {
    "welcome": Kind(
        title=_("Welcome to Aizuchi"),
        body=_(
            "Your e-mail address is confirmed. Find someone to talk with, or open your own storefront."  # noqa: E501
        ),
    ),
    "provider_opened": Kind(
        title=_("Your storefront is open"),
        body=_(
            "「%(display_name)s」 is ready. Add photos and a voice sample so callers know who they will meet."  # noqa: E501
        ),
    ),
}


def render(kind: str, params: dict) -> tuple[str, str]:
    spec = KINDS[kind]
    return str(spec.title) % params, str(spec.body) % params
