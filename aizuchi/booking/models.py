"""Reservations: when a provider takes bookings, the bookings, and what was sent about them.

Bookable hours are the appointment windows of the provider's weekly standby plan
(``storefront.StandbyWindow``, wall-clock times in the provider's zone) changed by dated
``AvailabilityChange`` rows. A ``Booking`` blocks ``start_at`` to ``blocked_until`` (its end
plus the provider's buffer). No two live bookings of a provider overlap: on PostgreSQL an
exclusion constraint over that time range says so (migration 0002); on both databases a
unique constraint on the slot's start catches two people taking the same slot, and the
booking service checks overlaps inside a transaction that holds the write lock on SQLite.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LIVE_STATUSES = ("pending", "confirmed")


class BookingSettings(models.Model):
    """How a provider takes reservations. Reads see the defaults until the provider saves
    their own or the first booking is made (``slots.booking_settings_for``)."""

    provider = models.OneToOneField(
        "storefront.Provider", on_delete=models.CASCADE, related_name="booking_settings"
    )
    confirm_instantly = models.BooleanField(_("confirm bookings at once"), default=True)
    approval_hold_minutes = models.PositiveSmallIntegerField(
        _("a request waiting for your answer holds its time for (minutes)"), default=120
    )
    voice_slot_minutes = models.PositiveSmallIntegerField(
        _("voice call slots (minutes)"), default=30
    )
    chat_slot_minutes = models.PositiveSmallIntegerField(_("chat slots (minutes)"), default=30)
    buffer_minutes = models.PositiveSmallIntegerField(
        _("break between bookings (minutes)"), default=10
    )
    horizon_days = models.PositiveSmallIntegerField(_("bookable up to (days ahead)"), default=30)
    # The provider's most invested customers (relationship tiers 1 to ``tier_horizon_tiers``;
    # 0: nobody) may book up to ``tier_horizon_days`` ahead instead (``slots.horizon_days_for``).
    tier_horizon_days = models.PositiveSmallIntegerField(
        _("customers of the top ranks may book up to (days ahead)"), default=0
    )
    tier_horizon_tiers = models.PositiveSmallIntegerField(
        _("ranks that may book further ahead (1 to this rank; 0: none)"), default=0
    )
    notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=120)
    cancel_hours = models.PositiveSmallIntegerField(
        _("free cancellation until (hours before)"), default=24
    )
    late_cancel_percent = models.PositiveSmallIntegerField(
        _("charged for a late cancellation or a no-show (%)"), default=50
    )
    # The secret part of the private iCalendar feed URL; a new one revokes the old.
    calendar_token = models.CharField(max_length=43, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("booking settings")
        verbose_name_plural = _("booking settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(voice_slot_minutes__gte=15, chat_slot_minutes__gte=15),
                name="booking_settings_slot_at_least_15",
            ),
            models.CheckConstraint(
                condition=Q(late_cancel_percent__lte=100), name="booking_settings_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"booking settings of {self.provider_id}"

    def slot_minutes(self, channel: str) -> int:
        return self.voice_slot_minutes if channel == "voice" else self.chat_slot_minutes


class AvailabilityChange(models.Model):
    """A dated change to the weekly plan, in the provider's zone: a day (or hours) closed,
    or extra bookable hours."""

    class Kind(models.TextChoices):
        CLOSED = "closed", pgettext_lazy("availability", "closed")
        EXTRA = "extra", _("extra hours")

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="availability_changes"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # Empty for a whole day closed.
    start_time = models.TimeField(_("from"), null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(_("length (minutes)"), null=True, blank=True)
    newcomers_only = models.BooleanField(_("for newcomers only"), default=False)

    class Meta:
        ordering = ["provider", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, minutes__isnull=True, kind="closed")
                | Q(start_time__isnull=False, minutes__gte=15, minutes__lte=24 * 60),
                name="booking_change_hours_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.date} {self.kind}"


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("not answered in time")
        CANCELLED = "cancelled", _("cancelled")
        COMPLETED = "completed", _("took place")
        NO_SHOW = "no_show", _("the customer did not come")

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.PROTECT, related_name="bookings"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    offering = models.ForeignKey(
        "storefront.Offering", on_delete=models.SET_NULL, null=True, related_name="bookings"
    )
    channel = models.CharField(max_length=10)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    blocked_until = models.DateTimeField()  # end plus the provider's break
    newcomers_slot = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices)
    pending_until = models.DateTimeField(null=True, blank=True)
    # The terms and price as they were when booked (PricingPolicy.as_dict(), yen).
    policy = models.JSONField(default=dict, blank=True)
    price_yen = models.PositiveIntegerField(default=0)
    hold = models.ForeignKey(
        "billing.Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The session the customer came in with (``live.Session``, by reference: booking sits
    # below the live domain, which sets it through ``booking_session_started``).
    session_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # What the customer would like to talk about, written with the request (optional).
    note = models.TextField(_("what I'd like to talk about"), max_length=500, blank=True)
    # How many times it was moved: its calendar event's SEQUENCE, so calendars take the
    # new time over the one they keep.
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start_at", "id"]
        indexes = [
            models.Index(
                fields=["provider", "start_at"],
                condition=Q(status__in=LIVE_STATUSES),
                name="booking_live_by_provider",
            ),
            models.Index(fields=["customer", "start_at"], name="booking_by_customer"),
            models.Index(fields=["status", "start_at"], name="booking_by_status"),
        ]
        constraints = [
            # Two people cannot hold the same slot (both databases); overlapping slots are
            # refused by the exclusion constraint (PostgreSQL) and the service.
            models.UniqueConstraint(
                fields=["provider", "start_at"],
                condition=Q(status__in=LIVE_STATUSES),
                name="booking_one_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")) & Q(blocked_until__gte=F("end_at")),
                name="booking_times_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(pending_until__isnull=False),
                name="booking_pending_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} {self.status} {self.start_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class BookingReminder(models.Model):
    """A reminder sent for a booking; one of each kind, however often the job runs."""

    class Kind(models.TextChoices):
        DAY_BEFORE = "day", _("a day before")
        HOUR_BEFORE = "hour", _("an hour before")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="booking_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind}"
