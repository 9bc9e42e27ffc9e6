"""The errors that Aizuchi's services raise, as one small tree.

Views, API endpoints and WebSocket consumers catch these and turn them into a
response; each carries a stable ``code`` for clients and a translated ``message``
for people. Messages live as constants beside the service that raises them.

    ServiceError
    ├── NotFound        the object does not exist *or* the caller may not see it
    ├── Conflict        the action collides with the current state (already done, taken)
    └── InvalidInput    field-level problems: ``errors`` maps field name -> [messages]
"""

from __future__ import annotations

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


def _format(message: str | Promise, params: dict) -> str:
    return str(message) % params


def lazy_format(message: str | Promise, **params) -> Promise:
    """``message % params``, worked out when shown, in the reader's language then.

    For messages made in one place (a service) and shown in another (a page, a socket
    message to the other side), so each reader sees their own language.
    """
    return lazy(_format, str)(message, params)
