from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Session(models.Model):
    """One paid conversation between a customer and a provider, on one channel.

    The live domain drives it from request to end; the storefront reads completed
    sessions for reviews and ranks, and the billing domain writes the charge.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("ringing")
        ACTIVE = "active", _("in progress")
        COMPLETED = "completed", _("completed")
        DECLINED = "declined", _("declined")
        MISSED = "missed", _("not answered")
        CANCELLED = "cancelled", _("cancelled")

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.PROTECT, related_name="sessions"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions"
    )
    offering = models.ForeignKey(
        "storefront.Offering", on_delete=models.SET_NULL, null=True, related_name="sessions"
    )
    channel = models.CharField(max_length=10)
    concept_version = models.ForeignKey(
        "storefront.ConceptVersion", on_delete=models.SET_NULL, null=True, related_name="sessions"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    billable_seconds = models.PositiveIntegerField(default=0)
    charged_yen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "status", "ended_at"], name="live_session_provider"),
            models.Index(fields=["customer", "provider", "status"], name="live_session_pair"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="completed")
                | models.Q(started_at__isnull=False, ended_at__isnull=False),
                name="live_session_completed_has_times",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} {self.status}"
