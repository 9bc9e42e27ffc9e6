"""Scheduled messaging work (see AIZUCHI_SCHEDULE in settings)."""

from __future__ import annotations

from django.tasks import task

from .services.mail import unread_mail_sweep


@task
def unread_mail_task() -> int:
    """E-mail the people whose messages have waited unread (each thread at most every
    few hours)."""
    return unread_mail_sweep()
