"""Background work shared by every domain, on Django's Tasks framework.

In development and tests the immediate backend runs a task as it is enqueued;
in the scaled setup the database backend queues it for ``manage.py db_worker``.
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.tasks import Task, task

from .effects import on_commit


@task
def send_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    html_body: str | None = None,
    from_email: str | None = None,
) -> int:
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, from_email=from_email)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message.send()


def enqueue_on_commit(work: Task, **kwargs: Any) -> None:
    """Queue ``work`` once the current transaction commits (never for rolled-back work)."""
    on_commit(lambda: work.enqueue(**kwargs))
