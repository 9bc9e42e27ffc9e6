from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Session(models.Model):
    """One paid conversation between a customer and a provider, on one channel.

    ringing (requested) → accepted (active, ``started_at`` empty until both sides are
    connected) → metered (active, ``started_at`` set) → completed; or declined, not
    answered (missed), cancelled. The billable time runs from ``started_at`` to
    ``billed_until``; the billing domain writes the charge once.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("ringing")
        ACTIVE = "active", _("in progress")
        COMPLETED = "completed", _("completed")
        DECLINED = "declined", _("declined")
        MISSED = "missed", _("not answered")
        CANCELLED = "cancelled", _("cancelled")

    class EndReason(models.TextChoices):
        CUSTOMER_HUNG_UP = "customer_hung_up", _("the customer hung up")
        PROVIDER_HUNG_UP = "provider_hung_up", _("the provider hung up")
        POINTS_RAN_OUT = "points_ran_out", _("the points ran out")
        LIMIT_REACHED = "limit_reached", _("the session reached its time limit")
        BOOKED_TIME_ENDED = "booked_time_ended", _("the booked time ended")
        CUSTOMER_LEFT = "customer_left", _("the customer's connection was lost")
        PROVIDER_LEFT = "provider_left", _("the provider's connection was lost")
        NEVER_CONNECTED = "never_connected", _("the session never connected")
        DECLINED = "declined", _("the provider declined")
        NOT_ANSWERED = "not_answered", _("nobody answered")
        CANCELLED = "cancelled", _("the customer cancelled")

    LIVE_STATUSES = (Status.REQUESTED, Status.ACTIVE)

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
    # The terms as they were when the session was requested (PricingPolicy.as_dict()).
    policy = models.JSONField(default=dict, blank=True)
    hold = models.ForeignKey(
        "billing.Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Came in through appointment standby (an invitation or a reservation), not a drop-in.
    by_appointment = models.BooleanField(default=False)
    requested_at = models.DateTimeField(default=timezone.now)
    ring_until = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # When the session must end: the points held or the cap run out (None: no limit).
    limit_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    billed_until = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    billable_seconds = models.PositiveIntegerField(default=0)
    charged_yen = models.PositiveIntegerField(default=0)
    customer_read_id = models.BigIntegerField(default=0)
    provider_read_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "status", "ended_at"], name="live_session_provider"),
            models.Index(fields=["customer", "provider", "status"], name="live_session_pair"),
            models.Index(
                fields=["status"],
                condition=Q(status__in=["requested", "active"]),
                name="live_session_live",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="completed")
                | models.Q(started_at__isnull=False, ended_at__isnull=False),
                name="live_session_completed_has_times",
            ),
            # One live session per provider and per customer at a time.
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(status__in=["requested", "active"]),
                name="live_session_one_live_per_provider",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=["requested", "active"]),
                name="live_session_one_live_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(billed_until__isnull=True) | Q(billed_until__gte=F("started_at")),
                name="live_session_billed_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} {self.status}"

    @staticmethod
    def topic_of(session_id: int) -> str:
        """The proof-of-life topic (``core.Connection.topic``) of a session's sockets."""
        return f"session:{session_id}"

    @property
    def topic(self) -> str:
        return self.topic_of(self.pk)

    def role_of(self, user) -> str:
        """ "customer" or "provider": which side ``user`` is on."""
        return "customer" if user.pk == self.customer_id else "provider"


class Message(models.Model):
    """One chat message of a session: the transcript both participants keep."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    # The sending browser's id for the message, so a resend after a reconnect is not
    # stored twice.
    client_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "sender", "client_id"], name="live_message_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.pk}"
