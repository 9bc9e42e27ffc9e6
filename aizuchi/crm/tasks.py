"""Scheduled work of the customer cards (see AIZUCHI_SCHEDULE in settings)."""

from __future__ import annotations

from django.tasks import task

from .services.followups import followups_due_send
from .services.suggestions import suggestions_compute


@task
def followups_due_task() -> int:
    """Send the follow-ups whose time has come."""
    return followups_due_send()


@task
def suggestions_task() -> int:
    """Each provider's "today, write to" list."""
    return suggestions_compute()
