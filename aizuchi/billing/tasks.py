"""Scheduled billing work (see AIZUCHI_SCHEDULE in settings)."""

from __future__ import annotations

from django.tasks import task

from .services.invoices import invoice_reminders_send


@task
def invoice_reminders_task() -> int:
    """Send the invoice reminders that are due; each is recorded and sent once."""
    return invoice_reminders_send()
