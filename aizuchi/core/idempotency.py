"""Operations that happen once per idempotency key, whoever retries them.

``idempotent`` wraps an operation in an ``Operation`` row keyed by its idempotency key
(a form's hidden key, ``session:<id>:charge``): the unique key lets one transaction
through; a retry with the same key and parameters gets the first result back, with other
parameters a clear refusal. Money (billing), bookings and the API use it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .db import insert_or_skip
from .errors import Conflict
from .models import Operation

KEY_REUSED = _(
    "This request was already made with different details. Reload the page and try again."
)


def fingerprint(params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent[T: models.Model](
    *, key: str, name: str, params: dict[str, Any], perform: Callable[[], T]
) -> T:
    """Run ``perform`` once for ``key``; later calls with the key get the first result.

    The first call inserts the ``Operation`` row and runs ``perform`` in the same
    transaction; a concurrent call with the same key waits on the unique key (PostgreSQL)
    or the write lock (SQLite), then finds the committed row. Same key, other ``name`` or
    ``params``: ``Conflict``.
    """
    digest = fingerprint(params)
    with transaction.atomic():
        # Claim the key in one statement: the row comes back when it is ours; when the key
        # was there (a concurrent first call waits on the unique key, PostgreSQL, or the
        # write lock, SQLite), the committed row is read, and it has its result.
        operation = Operation(key=key, name=name, fingerprint=digest)
        if not insert_or_skip(operation):
            operation = Operation.objects.get(key=key)
        if operation.result_model:
            if operation.name != name or operation.fingerprint != digest:
                raise Conflict(KEY_REUSED, code="idempotency_key_reused")
            model = apps.get_model(operation.result_model)
            found: T = model.objects.get(pk=operation.result_id)
            return found
        result = perform()
        operation.result_model = result._meta.label_lower
        operation.result_id = result.pk
        operation.save(update_fields=["result_model", "result_id"])
        return result
