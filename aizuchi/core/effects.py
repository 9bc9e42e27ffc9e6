"""Side effects after commit: the one door every domain uses.

A push to open pages, a queued e-mail, a file to delete: none of them may happen for work
that is rolled back, and none may undo the work when it fails. ``on_commit`` runs
``effect`` once the surrounding transaction commits (at once outside a transaction), and a
failing effect is logged without stopping the ones after it (Django's ``robust``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def on_commit(effect: Callable[[], object]) -> None:
    """Run ``effect`` after the current transaction commits; never for rolled-back work."""
    transaction.on_commit(effect, robust=True)
