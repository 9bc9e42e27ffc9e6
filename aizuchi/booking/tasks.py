"""Scheduled booking work (see AIZUCHI_SCHEDULE in settings)."""

from __future__ import annotations

from django.tasks import task

from .services.bookings import booking_housekeeping


@task
def booking_housekeeping_task() -> dict[str, int]:
    """Expire unanswered requests and send the reminders that are due (each once)."""
    return booking_housekeeping()
