"""Why someone may not do something now, and what they can do instead.

Checks that gather several reasons at once (may this customer start a session?) answer
with a list of ``Refusal``: a stable ``code`` for clients and tests, a message in the
reader's language, and where to go to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from .errors import ServiceError


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str | Promise
    url: str = ""  # where to go to fix it (pay the invoice, buy points, book a slot)


class Refused(ServiceError):
    """An action cannot happen now; ``reasons`` says every why and where to go next."""

    code = "refused"

    def __init__(self, reasons: list[Refusal]) -> None:
        super().__init__(reasons[0].message if reasons else "", code="refused")
        self.reasons = reasons

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]
