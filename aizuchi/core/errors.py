"""The errors that Aizuchi's services raise, as one small tree.

Views, API endpoints and WebSocket consumers catch these and turn them into a
response; each carries a stable ``code`` for clients and a translated ``message``
for people. Messages live as constants beside the service that raises them.

    ServiceError
    ├── NotFound        the object does not exist *or* the caller may not see it
    ├── Conflict        the action collides with the current state (already done, taken)
    ├── InvalidInput    field-level problems: ``errors`` maps field name -> [messages]
    └── Refused         may not happen now: ``reasons`` says every why and where to go next

``http_status(exc)`` is the one mapping of this tree to HTTP status codes, for pages and
the API alike: NotFound 404, InvalidInput 400, Conflict and Refused 409 (the request is
well formed and allowed in principle, but the current state stands in the way: another
time, after paying the invoice, with more points, it may succeed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.utils.functional import Promise, lazy


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str | Promise, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code


class NotFound(ServiceError):
    """Raised for missing objects and for objects the caller has no right to.

    Both look the same from outside, so identifiers cannot be probed.
    """

    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class InvalidInput(ServiceError):
    code = "invalid"

    def __init__(self, errors: dict[str, list[str | Promise]]) -> None:
        first = next(iter(errors.values()))[0] if errors else ""
        super().__init__(first)
        self.errors = errors


@dataclass(frozen=True)
class Refusal:
    """One reason an action cannot happen now: a stable ``code`` for clients and tests, a
    message in the reader's language, and where to go to fix it (pay the invoice, buy
    points, book a slot)."""

    code: str
    message: str | Promise
    url: str = ""


class Refused(ServiceError):
    """An action cannot happen now; ``reasons`` says every why and where to go next."""

    code = "refused"

    def __init__(self, reasons: list[Refusal]) -> None:
        super().__init__(reasons[0].message if reasons else "", code="refused")
        self.reasons = reasons

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


HTTP_STATUS: tuple[tuple[type[ServiceError], int], ...] = (
    (NotFound, 404),
    (InvalidInput, 400),
    (Conflict, 409),
    (Refused, 409),
)


def http_status(exc: ServiceError) -> int:
    """The HTTP status of a service's refusal (400 for an error outside the tree's kinds)."""
    for kind, status in HTTP_STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def _format(message: str | Promise, params: dict[str, object]) -> str:
    return str(message) % params


def lazy_format(message: str | Promise, **params: object) -> Promise:
    """``message % params``, worked out when shown, in the reader's language then.

    For messages made in one place (a service) and shown in another (a page, a socket
    message to the other side), so each reader sees their own language.
    """
    return cast(Promise, lazy(_format, str)(message, params))
