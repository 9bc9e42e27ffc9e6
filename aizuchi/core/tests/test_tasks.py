"""Background e-mail goes through Django's Tasks framework, inline or queued for a worker."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from aizuchi.core.tasks import enqueue_on_commit, send_email

pytestmark = pytest.mark.django_db


def test_immediate_backend_sends_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(send_email, subject="件名", body="本文", to=["a@aizuchi.example"])
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.subject for m in mail.outbox] == ["件名"]


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_database_backend_queues_until_a_worker_runs(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(send_email, subject="Queued", body="body", to=["b@aizuchi.example"])
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert [m.subject for m in mail.outbox] == ["Queued"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
