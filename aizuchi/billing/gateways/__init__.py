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

__all__ = ["CallbackResult", "Gateway", "NextStep", "configured", "enabled", "get"]


@cache
def _load(spec: str) -> Gateway:
    cls = BUILT_IN.get(spec) or import_string(spec)
    return cls()


def configured() -> list[Gateway]:
    """Every gateway settings list, in their order (sandboxes included)."""
    return [_load(spec) for spec in settings.AIZUCHI_BILLING["GATEWAYS"]]


def sandbox_allowed() -> bool:
    return bool(settings.AIZUCHI_BILLING.get("ALLOW_SANDBOX", False))


def enabled() -> list[Gateway]:
    """The gateways customers may choose from, in the order settings list them. A sandbox
    is left out unless settings allow one (the system check ``billing.E001`` says so)."""
    allow_sandbox = sandbox_allowed()
    return [gateway for gateway in configured() if allow_sandbox or not gateway.sandbox]


def get(code: str) -> Gateway | None:
    """The enabled gateway with this code, or None."""
    return next((gateway for gateway in enabled() if gateway.code == code), None)
