"""A small periodic scheduler on top of django.tasks.

Jobs are declared in settings (``AIZUCHI_SCHEDULE``) or registered in code with
``register``. Each job has a name, an interval and the django.tasks ``Task`` it enqueues.
Time is cut into slots of the job's interval, aligned to the Unix epoch plus an optional
offset (a daily job with ``offset=timedelta(hours=18)`` runs at 18:00 UTC, 03:00 in Tokyo).

``run_due()`` looks at the *current* slot of every job and claims it by inserting a
``ScheduledRun`` row. The unique constraint on (job, slot_start) lets exactly one insert
per slot succeed, whichever scheduler process or thread tries, on SQLite and PostgreSQL.
Only the current slot is ever claimed, so slots missed while no scheduler was running are
not replayed in bulk: after downtime the job runs once, for the slot it comes back in.

How the claimed job is handed over depends on the task backend:

- a backend that queues in this database (django_tasks_db, ``db_worker``): the task row
  is written in the same transaction as the claim, so a slot is queued exactly once even
  if the scheduler dies mid-way;
- any other backend (the immediate backend of ``make run`` runs the task right there):
  the task is enqueued after the claim commits. A crash between the two leaves a
  ``ScheduledRun`` with an empty ``status``: the slot is skipped, never run twice.

Why our own: the django.tasks schedulers on PyPI (django-scheduled-tasks 0.3,
django-periodic-tasks 0.2) were looked at. The first has no guard against two schedulers
enqueuing the same run (read, then update); the second needs croniter and row locks with
leases. Both are young single-maintainer 0.x packages. A slot table with a unique
constraint is a few dozen lines and its guarantee is easy to test.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledRun, max_length

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    task: str | Task  # a Task, or the dotted path to one
    offset: timedelta = timedelta(0)

    def get_task(self) -> Task:
        return import_string(self.task) if isinstance(self.task, str) else self.task

    def slot_start(self, now: datetime) -> datetime:
        """The start of the slot that ``now`` falls in."""
        slots = (now - EPOCH - self.offset) // self.interval
        return EPOCH + self.offset + slots * self.interval

    def next_slot(self, now: datetime) -> datetime:
        return self.slot_start(now) + self.interval


_registered: dict[str, Job] = {}


def register(
    name: str, *, interval: timedelta, task: str | Task, offset: timedelta = timedelta(0)
) -> Job:
    """Add a job in code (settings' ``AIZUCHI_SCHEDULE`` wins on a name clash)."""
    job = Job(name=name, interval=interval, task=task, offset=offset)
    _validate(job)
    _registered[name] = job
    return job


def unregister(name: str) -> None:
    _registered.pop(name, None)


def jobs() -> list[Job]:
    """Every job: those registered in code, then those in settings.AIZUCHI_SCHEDULE."""
    found = dict(_registered)
    for name, spec in getattr(settings, "AIZUCHI_SCHEDULE", {}).items():
        job = Job(
            name=name,
            interval=spec["interval"],
            task=spec["task"],
            offset=spec.get("offset", timedelta(0)),
        )
        _validate(job)
        found[name] = job
    return list(found.values())


def _validate(job: Job) -> None:
    if job.interval < timedelta(seconds=1):
        raise ValueError(f"job {job.name!r}: the interval must be at least a second")
    if not timedelta(0) <= job.offset < job.interval:
        raise ValueError(f"job {job.name!r}: the offset must lie within one interval")
    if len(job.name) > max_length(ScheduledRun, "job"):
        raise ValueError(f"job {job.name!r}: the name is too long")


def _queues_in_this_database(task: Task) -> bool:
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - the package is a dependency
        return False
    return isinstance(task.get_backend(), DatabaseBackend)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job_slot(job: Job, *, now: datetime) -> ScheduledRun | None:
    """Claim the slot ``now`` falls in and enqueue the job; None when it was taken."""
    task = job.get_task()
    slot = job.slot_start(now)
    in_database = _queues_in_this_database(task)
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(
                job=job.name, slot_start=slot, claimed_at=now, claimed_by=_worker_id()
            )
            if in_database:
                result = task.enqueue()
                run.task_result_id, run.status = str(result.id), str(result.status)
                run.save(update_fields=["task_result_id", "status"])
    except IntegrityError:
        return None  # another scheduler (or an earlier tick) has this slot
    if not in_database:
        try:
            result = task.enqueue()
        except Exception as exc:  # noqa: BLE001 - recorded, the scheduler keeps going
            logger.exception("scheduled job %s could not be enqueued", job.name)
            run.status, run.error = "ENQUEUE_FAILED", repr(exc)[:2000]
        else:
            run.task_result_id, run.status = str(result.id), str(result.status)
            if result.errors:
                run.error = result.errors[-1].traceback[-2000:]
        run.save(update_fields=["task_result_id", "status", "error"])
    logger.info("scheduled job %s ran for slot %s: %s", job.name, slot.isoformat(), run.status)
    return run


def run_due(*, now: datetime | None = None) -> list[ScheduledRun]:
    """Run every job whose current slot nobody has claimed yet. Returns the new runs."""
    now = now or timezone.now()
    runs = []
    for job in jobs():
        run = run_job_slot(job, now=now)
        if run is not None:
            runs.append(run)
    return runs


def seconds_until_next_slot(*, now: datetime | None = None) -> float:
    """How long the loop may sleep before some job's next slot begins."""
    now = now or timezone.now()
    upcoming = [job.next_slot(now) for job in jobs()]
    if not upcoming:
        return float("inf")
    return max(0.0, (min(upcoming) - now).total_seconds())
