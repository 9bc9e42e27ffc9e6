"""Paid gatherings that keep the distance a business: events, registrations, invitations.

An ``Event`` is an online group talk or an in-person gathering at a time entered in the
provider's zone (stored in UTC), with a price, a capacity (part of it may be kept for
newcomers) and an audience: everyone, or the customers the provider chose. Its seats are
two counters on the row, moved only by a conditional update (``seats_taken`` below
``capacity``; ``regular_seats_taken`` below the seats not kept for newcomers) and checked
by the database, so no two server processes can sell the same last seat.

A ``Registration`` is one person's place: confirmed (a seat, and the prepaid price held
on their points), waitlisted (no seat), offered (a seat freed by a cancellation, held
for them until ``offered_until``), cancelled, attended or no-show. One live registration
per person and event.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# A registration in these states is the person's one place at the event.
LIVE_STATES = ("confirmed", "waitlisted", "offered", "attended", "no_show")
# ... and in these it keeps a seat.
SEATED_STATES = ("confirmed", "offered", "attended", "no_show")


class EventSeries(models.Model):
    """Events that recur (a monthly tea party): the next one invites the last one's
    waitlist first."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="event_series"
    )
    title = models.CharField(_("series name"), max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")
        ordering = ["provider", "title"]

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    class Kind(models.TextChoices):
        ONLINE = "online", _("online group talk")
        IN_PERSON = "in_person", _("in-person gathering")

    class Payment(models.TextChoices):
        PREPAID = "prepaid", _("prepaid points (held when registering, charged at the start)")
        POSTPAID = "postpaid", _("postpaid (invoiced after the event)")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("public")
        INVITED = "invited", _("invited customers only")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        CANCELLED = "cancelled", pgettext_lazy("event", "cancelled")

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.PROTECT, related_name="events"
    )
    series = models.ForeignKey(
        EventSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    length_minutes = models.PositiveSmallIntegerField(_("length (minutes)"))
    price_yen = models.PositiveIntegerField(_("price (yen)"), default=0)
    payment = models.CharField(
        _("payment"), max_length=10, choices=Payment.choices, default=Payment.PREPAID
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    newcomer_seats = models.PositiveSmallIntegerField(_("seats kept for newcomers"), default=0)
    seats_taken = models.PositiveSmallIntegerField(default=0)
    regular_seats_taken = models.PositiveSmallIntegerField(default=0)
    audience = models.CharField(
        _("who may see and register"),
        max_length=10,
        choices=Audience.choices,
        default=Audience.PUBLIC,
    )
    # An invite-only event is also open to the customers whose card puts them in tiers 1
    # to this one (the relationship row's ``tier``); empty: only those invited by name.
    invited_tiers = models.PositiveSmallIntegerField(
        _("also invite customers in tiers"), null=True, blank=True
    )
    registration_closes_at = models.DateTimeField(_("registration closes at"))
    cancel_free_hours = models.PositiveSmallIntegerField(
        _("free cancellation until (hours before)"), default=24
    )
    late_cancel_percent = models.PositiveSmallIntegerField(
        _("charged for a late cancellation (%)"), default=50
    )
    offer_hold_hours = models.PositiveSmallIntegerField(
        _("a freed seat is held for the next person for (hours)"), default=12
    )
    place = models.CharField(_("place"), max_length=120, blank=True)
    map_url = models.URLField(_("map link"), max_length=300, blank=True)
    meeting_point = models.CharField(
        _("meeting point (shown to confirmed attendees only)"), max_length=300, blank=True
    )
    # The provider's own answer to a personal request in a message thread ("can we
    # meet?"), sent with one click with the invitation; empty: the platform's kind reply.
    invite_reply = models.TextField(_("your reply when a customer asks to meet"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # When the start's charges (prepaid) and the end's invoices (postpaid) were made.
    started_at = models.DateTimeField(null=True, blank=True)
    invoiced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["provider", "starts_at"], name="event_by_provider"),
            models.Index(fields=["status", "starts_at"], name="event_by_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(
                condition=Q(newcomer_seats__lte=F("capacity")), name="event_newcomer_seats_fit"
            ),
            # The last word on overselling, whichever process races it.
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="event_never_oversold"
            ),
            models.CheckConstraint(
                condition=Q(regular_seats_taken__lte=F("capacity") - F("newcomer_seats")),
                name="event_newcomer_seats_kept",
            ),
            models.CheckConstraint(
                condition=Q(regular_seats_taken__lte=F("seats_taken")),
                name="event_regular_seats_within",
            ),
            models.CheckConstraint(
                condition=Q(late_cancel_percent__lte=100), name="event_late_cancel_percent"
            ),
            models.CheckConstraint(
                condition=Q(length_minutes__gte=15), name="event_length_at_least_15"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.length_minutes)

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken

    @property
    def is_free(self) -> bool:
        return self.price_yen == 0

    @property
    def free_cancel_until(self) -> dt.datetime:
        return self.starts_at - dt.timedelta(hours=self.cancel_free_hours)


class Invitation(models.Model):
    """A customer the provider chose for an invite-only event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_invitations"
    )
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["event", "customer"], name="event_invitation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.customer_id}"


class Registration(models.Model):
    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        WAITLISTED = "waitlisted", _("on the waitlist")
        OFFERED = "offered", _("a seat is held for you")
        CANCELLED = "cancelled", pgettext_lazy("registration", "cancelled")
        ATTENDED = "attended", _("attended")
        NO_SHOW = "no_show", _("did not come")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_registrations"
    )
    state = models.CharField(max_length=10, choices=State.choices)
    # The seat is one of those not kept for newcomers (counted in regular_seats_taken).
    regular_seat = models.BooleanField(default=False)
    # The price and payment as they were when the seat was taken.
    price_yen = models.PositiveIntegerField(default=0)
    payment = models.CharField(max_length=10, choices=Event.Payment.choices)
    hold = models.ForeignKey(
        "billing.Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    charge = models.ForeignKey(
        "billing.Charge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    offered_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # The provider's word in an online group talk: muted (reads, no longer writes) or
    # removed (the room is closed to them, also on re-entry).
    room_muted_at = models.DateTimeField(null=True, blank=True)
    room_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["event", "state", "created_at"], name="registration_by_state"),
            models.Index(fields=["customer", "-created_at"], name="registration_by_customer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "customer"],
                condition=Q(state__in=LIVE_STATES),
                name="registration_one_live_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(state="offered") | Q(offered_until__isnull=False),
                name="registration_offer_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"registration {self.pk} {self.state}"

    @property
    def has_seat(self) -> bool:
        return self.state in SEATED_STATES

    @property
    def sees_meeting_point(self) -> bool:
        """The exact meeting point is for confirmed attendees only (not a held offer)."""
        return self.state in (self.State.CONFIRMED, self.State.ATTENDED)


class EventReminder(models.Model):
    """A reminder sent for a registration; one of each kind, however often the job runs."""

    class Kind(models.TextChoices):
        DAY_BEFORE = "day", _("a day before")
        HOUR_BEFORE = "hour", _("an hour before")

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "kind"], name="event_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.kind}"


class RoomMessage(models.Model):
    """One chat message in an online group talk, by an attendee or the provider; one per
    sender and client id, so a resend after a reconnect is not stored twice."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="room_messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_room_messages"
    )
    client_id = models.CharField(max_length=64)
    text = models.TextField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "author", "client_id"], name="room_message_once_per_client_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.pk}"
