from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class Connection(models.Model):
    """One WebSocket of a person on a topic (``presence:12``, ``session:34``) and its last
    proof of life.

    Written by ``aizuchi.core.connections``: a row when the socket opens, ``seen_at``
    moved forward in batches while the client keeps talking (every frame, at least its
    pings, counts), ``closed_at`` when it closes. A server process that dies leaves its
    rows open with ``seen_at`` at the last proof of life, which is what the sweepers read.
    """

    topic = models.CharField(max_length=60)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=12, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["topic", "opened_at"]
        indexes = [
            models.Index(fields=["topic", "role"], name="core_connection_topic"),
            models.Index(
                fields=["seen_at"],
                condition=models.Q(closed_at__isnull=True),
                name="core_connection_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.role} {self.user_id}"


class Operation(models.Model):
    """An externally triggered operation, once per idempotency key.

    The same key again returns the first result; the same key with other parameters is
    refused (``fingerprint`` is a hash of the parameters). See core.idempotency.
    """

    key = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    result_model = models.CharField(max_length=60, blank=True)
    result_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")

    def __str__(self) -> str:
        return f"{self.name} {self.key}"


def max_length(model: type[models.Model], field: str) -> int:
    """The ``max_length`` of a model's text field (services check input against it)."""
    length = getattr(model._meta.get_field(field), "max_length", None)
    if length is None:
        raise ValueError(f"{model.__name__}.{field} has no max_length")
    return int(length)
