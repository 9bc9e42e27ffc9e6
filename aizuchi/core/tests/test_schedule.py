"""The periodic scheduler: slots, once per slot even with two schedulers, no bulk replay."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.tasks import task
from django_tasks_db.models import DBTaskResult

from aizuchi.core import schedule
from aizuchi.core.models import ScheduledRun
from aizuchi.core.testing import database_url_for_tests

CALLS: list[str] = []
_calls_lock = threading.Lock()


@task
def bump() -> str:
    with _calls_lock:
        CALLS.append("bump")
    return "bumped"


@task
def explode() -> None:
    raise RuntimeError("the job failed")


T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def hourly(settings):
    """Only our test job, every hour; the settings' own jobs are out of the way."""
    settings.AIZUCHI_SCHEDULE = {
        "test.bump": {
            "task": "aizuchi.core.tests.test_schedule.bump",
            "interval": timedelta(hours=1),
        }
    }
    CALLS.clear()
    yield schedule.jobs()[0]
    CALLS.clear()


def test_slots_are_aligned_to_the_epoch_plus_offset():
    job = schedule.Job("j", interval=timedelta(days=1), task=bump, offset=timedelta(hours=18))
    assert job.slot_start(datetime(2026, 3, 1, 17, 59, tzinfo=UTC)) == datetime(
        2026, 2, 28, 18, 0, tzinfo=UTC
    )
    assert job.slot_start(datetime(2026, 3, 1, 18, 0, tzinfo=UTC)) == datetime(
        2026, 3, 1, 18, 0, tzinfo=UTC
    )
    assert job.next_slot(datetime(2026, 3, 1, 18, 0, tzinfo=UTC)) == datetime(
        2026, 3, 2, 18, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="offset"):
        schedule.register("bad", interval=timedelta(hours=1), task=bump, offset=timedelta(hours=2))


def test_settings_schedule_the_rank_job_daily():
    [job] = [j for j in schedule.jobs() if j.name == "reputation.ranks"]
    assert job.interval == timedelta(days=1)
    assert job.get_task().name == "ranks_recompute_task"


@pytest.mark.django_db
def test_each_slot_runs_once(hourly):
    assert [r.job for r in schedule.run_due(now=T0 + timedelta(minutes=5))] == ["test.bump"]
    assert schedule.run_due(now=T0 + timedelta(minutes=40)) == []
    assert CALLS == ["bump"]
    run = ScheduledRun.objects.get()
    assert run.slot_start == T0
    assert run.status == "SUCCESSFUL"
    assert run.task_result_id
    schedule.run_due(now=T0 + timedelta(hours=1))
    assert CALLS == ["bump", "bump"]
    assert list(
        ScheduledRun.objects.order_by("slot_start").values_list("slot_start", flat=True)
    ) == [
        T0,
        T0 + timedelta(hours=1),
    ]


@pytest.mark.django_db
def test_missed_slots_are_not_replayed_after_downtime(hourly):
    schedule.run_due(now=T0)
    # The scheduler was down for two days: it comes back and runs once, for the current slot.
    back = T0 + timedelta(days=2, minutes=17)
    assert len(schedule.run_due(now=back)) == 1
    assert schedule.run_due(now=back + timedelta(minutes=1)) == []
    assert CALLS == ["bump", "bump"]
    assert ScheduledRun.objects.count() == 2


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_its_slot_not_retried(settings):
    settings.AIZUCHI_SCHEDULE = {
        "test.explode": {
            "task": "aizuchi.core.tests.test_schedule.explode",
            "interval": timedelta(minutes=10),
        }
    }
    [run] = schedule.run_due(now=T0)
    assert run.status == "FAILED"
    assert "the job failed" in run.error
    assert schedule.run_due(now=T0 + timedelta(minutes=1)) == []


@pytest.mark.django_db
def test_jobs_registered_in_code(settings):
    settings.AIZUCHI_SCHEDULE = {}
    CALLS.clear()
    schedule.register("test.code", interval=timedelta(minutes=5), task=bump)
    try:
        assert [r.job for r in schedule.run_due(now=T0)] == ["test.code"]
        assert CALLS == ["bump"]
    finally:
        schedule.unregister("test.code")
        CALLS.clear()
    assert schedule.jobs() == []


@pytest.mark.django_db
def test_run_scheduler_once_runs_due_jobs(hourly):
    call_command("run_scheduler", "--once")
    call_command("run_scheduler", "--once")
    assert CALLS == ["bump"]
    assert ScheduledRun.objects.filter(job="test.bump").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_in_threads_run_the_slot_once(hourly):
    barrier = threading.Barrier(4)
    claimed: list[int] = []

    def scheduler():
        try:
            barrier.wait()
            claimed.append(len(schedule.run_due(now=T0 + timedelta(minutes=3))))
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == [0, 0, 0, 1]
    assert CALLS == ["bump"]
    assert ScheduledRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_queue_the_slot_once_for_db_worker():
    """Real processes, the database task backend: one queued task per slot, not two."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_tests(),
        "AIZUCHI_TASKS_BACKEND": "database",
    }
    command = [sys.executable, "manage.py", "run_scheduler", "--once"]
    processes = [
        subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    for p in processes:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    # every job's slot is queued once, however many schedulers ran
    assert ScheduledRun.objects.count() == len(schedule.jobs())
    assert DBTaskResult.objects.count() == len(schedule.jobs())
    ranks = ScheduledRun.objects.get(job="reputation.ranks")
    queued = DBTaskResult.objects.get(
        task_path="aizuchi.reputation.services.ranks.ranks_recompute_task"
    )
    assert ranks.task_result_id == str(queued.id)
