"""What every payment gateway provides."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.functional import Promise


@dataclass(frozen=True)
class NextStep:
    """What the customer does after starting a payment.

    ``instructions``: show the lines (bank details) and wait for a person to confirm;
    ``redirect``: send the browser to ``url`` (a hosted checkout).
    """

    kind: str
    url: str = ""
    lines: list[tuple[str | Promise, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CallbackResult:
    """A verified message from a gateway about one payment."""

    token: str
    succeeded: bool
    external_ref: str = ""


class Gateway:
    """A way to pay. Subclasses set ``code``, ``name`` and implement ``begin``.

    Gateways with a hosted checkout also implement ``verify_callback``: it checks the
    gateway's signature on a callback request and returns what it says, or None when the
    request is not genuine. Settling the payment is then the billing services' job, once.
    """

    code: str = ""
    name: str | Promise = ""
    description: str | Promise = ""
    # True when a person confirms receipt (staff, or the provider for their invoices).
    confirmed_by_people: bool = False
    # True for a pretend checkout whose page hands the browser its own signed result:
    # offered only where AIZUCHI_BILLING["ALLOW_SANDBOX"] is on (development, tests).
    sandbox: bool = False

    def begin(self, payment) -> NextStep:
        raise NotImplementedError

    def verify_callback(self, request: HttpRequest) -> CallbackResult | None:
        return None
