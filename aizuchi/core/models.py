from django.db import models
from django.utils import timezone


class ScheduledRun(models.Model):
    """One slot of one periodic job, claimed by the scheduler that ran it.

    The unique constraint on (job, slot_start) is the arbiter: however many schedulers
    run, only one insert per slot succeeds, so a slot runs once (aizuchi.core.schedule).
    """

    job = models.CharField(max_length=100)
    slot_start = models.DateTimeField()
    claimed_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=200, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-slot_start", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot_start"], name="core_scheduled_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot_start:%Y-%m-%d %H:%M}"
