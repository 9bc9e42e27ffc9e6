"""Scheduled events work (see AIZUCHI_SCHEDULE in settings)."""

from __future__ import annotations

from django.tasks import task

from .services.registrations import events_housekeeping


@task
def events_housekeeping_task() -> dict[str, int]:
    """Pass lapsed seat offers on, send due reminders, charge at the start, invoice after."""
    return events_housekeeping()
