"""What each kind of notification says: a registry every domain adds its own kinds to.

A notification stores its kind and parameters, not its text, so it reads in the
language of whoever looks at it, even after they switch language. Notifications know no
domain: each domain registers its kinds (title, body, and how to present its parameters)
with ``kind_register`` in its own ``notifications.py``, loaded by its ``AppConfig.ready``.
``notification_send`` refuses a kind nobody registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    title: Promise
    body: Promise
    # Turns stored parameters into display values in the reader's (active) language,
    # e.g. a rank number into its name.
    present: Callable[[dict], dict] | None = None


KINDS: dict[str, Kind] = {}


def kind_register(name: str, kind: Kind) -> Kind:
    """Add a kind of notification (a domain's ``AppConfig.ready`` calls this)."""
    known = KINDS.get(name)
    if known is not None and known != kind:
        raise ValueError(f"notification kind {name!r} is registered already")
    KINDS[name] = kind
    return kind


def kinds_register(kinds: dict[str, Kind]) -> None:
    for name, kind in kinds.items():
        kind_register(name, kind)


def present_money(params: dict) -> dict:
    """Yen with thousands separators; dates and times in the reader's zone and language."""
    shown = {**params}
    if "amount" in params:
        shown["amount"] = f"{params['amount']:,}"
    if "start" in params:
        start = timezone.localtime(datetime.fromisoformat(params["start"]))
        shown["start"] = formats.date_format(start, "DATETIME_FORMAT")
    if params.get("fee"):
        shown["fee"] = f"{params['fee']:,}"
    if "due" in params:
        due = timezone.localtime(datetime.fromisoformat(params["due"]))
        shown["due"] = formats.date_format(due, "DATE_FORMAT")
    return shown


kind_register(
    "welcome",
    Kind(
        title=_("Welcome to Aizuchi"),
        body=_(
            "Your e-mail address is confirmed. Find someone to talk with, or open your own storefront."  # noqa: E501
        ),
    ),
)


def render(kind: str, params: dict) -> tuple[str, str]:
    spec = KINDS[kind]
    if spec.present is not None:
        params = spec.present(params)
    return str(spec.title) % params, str(spec.body) % params
