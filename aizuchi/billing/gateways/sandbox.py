"""A hosted checkout that runs on this server, for development and tests.

It behaves as a card gateway does: the customer is sent to a checkout page, and the
outcome comes back as a callback signed with a secret, which the billing services verify
before they settle the payment. Enable it with ``AIZUCHI_PAYMENT_GATEWAYS=manual,test``
in development; the production settings refuse to start with it, and no settings without
``AIZUCHI_BILLING["ALLOW_SANDBOX"]`` offer it.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import CallbackResult, Gateway, NextStep

OUTCOMES = ("succeeded", "failed")


def _signature(token: str, outcome: str) -> str:
    secret = f"aizuchi-sandbox-gateway:{settings.SECRET_KEY}".encode()
    return hmac.new(secret, f"{token}:{outcome}".encode(), hashlib.sha256).hexdigest()


class SandboxGateway(Gateway):
    code = "test"
    sandbox = True
    name = _("Test card (no real money)")
    description = _("A pretend card checkout for trying Aizuchi out. No money moves.")

    def begin(self, payment) -> NextStep:
        return NextStep(
            kind="redirect", url=reverse("billing:sandbox_checkout", args=[payment.token])
        )

    def signed_fields(self, token: str, outcome: str) -> dict[str, str]:
        """The fields the checkout page posts back, as a gateway's server would."""
        return {"token": token, "outcome": outcome, "signature": _signature(token, outcome)}

    def verify_callback(self, request: HttpRequest) -> CallbackResult | None:
        token = request.POST.get("token", "")
        outcome = request.POST.get("outcome", "")
        signature = request.POST.get("signature", "")
        if outcome not in OUTCOMES or not token:
            return None
        # Bytes: compare_digest refuses str with characters beyond ASCII (a forged value).
        if not hmac.compare_digest(signature.encode(), _signature(token, outcome).encode()):
            return None
        return CallbackResult(
            token=token, succeeded=outcome == "succeeded", external_ref=f"sandbox-{token[:12]}"
        )
