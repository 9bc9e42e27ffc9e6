"""Background e-mail goes through Django's Tasks framework, inline or queued for a worker."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from aizuchi.core.tasks import enqueue_on_commit, send_email
from aizuchi.core.testing import database_url_for_tests

pytestmark = pytest.mark.django_db


def test_immediate_backend_sends_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(send_email, subject="件名", body="本文", to=["a@aizuchi.example"])
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.subject for m in mail.outbox] == ["件名"]


@pytest.mark.django_db(transaction=True)
def test_database_backend_queues_until_a_worker_process_runs(tmp_path):
    """The scaled setup: the request only queues; `manage.py db_worker` delivers."""
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        send_email.using(backend="default").enqueue(
            subject="Queued", body="body", to=["b@aizuchi.example"]
        )
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_tests(),
            "AIZUCHI_TASKS_BACKEND": "database",
            "EMAIL_URL": f"filemail:///{tmp_path}",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stderr
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    [sent] = list(tmp_path.glob("*.log"))
    assert "Subject: Queued" in sent.read_text()
