"""System checks of the billing settings (run by ``manage.py check`` and every command)."""

from __future__ import annotations

from django.core.checks import Error, register

from . import gateways

SANDBOX_REFUSED = "billing.E001"


@register()
def sandbox_gateway_check(app_configs, **kwargs) -> list[Error]:
    """A sandbox gateway settles payments on the customer's word: never where the settings
    do not allow it (the production settings refuse the ``test`` code by name; this also
    catches one named by its dotted path)."""
    if gateways.sandbox_allowed():
        return []
    return [
        Error(
            f"The payment gateway {gateway.code!r} is a sandbox: its checkout lets anyone "
            "mark their own payment as paid.",
            hint="Remove it from AIZUCHI_PAYMENT_GATEWAYS; sandboxes are for development.",
            id=SANDBOX_REFUSED,
        )
        for gateway in gateways.configured()
        if gateway.sandbox
    ]
