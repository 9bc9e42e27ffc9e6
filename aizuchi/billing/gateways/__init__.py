"""Payment gateways: how money reaches the platform.

A gateway has a ``code`` (stored on each ``Payment`` and naming its clearing account in the
ledger) and says what the customer does next once a payment is started: follow
instructions (the manual gateway: bank transfer or cash, confirmed by staff or the
provider), or go to a hosted checkout (the sandbox gateway here, a card gateway in
production), which later calls back with a signed result.

Enabled gateways come from ``settings.AIZUCHI_BILLING["GATEWAYS"]``: built-in codes, or
dotted paths to a ``Gateway`` subclass for gateways that plug in.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import CallbackResult, Gateway, NextStep
from .manual import ManualGateway
from .sandbox import SandboxGateway

BUILT_IN: dict[str, type[Gateway]] = {
    ManualGateway.code: ManualGateway,
    SandboxGateway.code: SandboxGateway,
}

__all__ = ["CallbackResult", "Gateway", "NextStep", "enabled", "get"]


@cache
def _load(spec: str) -> Gateway:
    cls = BUILT_IN.get(spec) or import_string(spec)
    return cls()


def enabled() -> list[Gateway]:
    """The gateways customers may choose from, in the order settings list them."""
    return [_load(spec) for spec in settings.AIZUCHI_BILLING["GATEWAYS"]]


def get(code: str) -> Gateway | None:
    """The enabled gateway with this code, or None."""
    return next((gateway for gateway in enabled() if gateway.code == code), None)
