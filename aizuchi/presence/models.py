from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    OFFLINE = "offline", _("offline")
    OPEN = "open", _("waiting for callers")
    APPOINTMENT = "appointment", _("appointments only")
    IN_SESSION = "in_session", _("in a session")
    AWAY = "away", _("away")


# States in which the provider is at their desk; "online now" in search.
ONLINE_STATES = (State.OPEN, State.APPOINTMENT, State.IN_SESSION)
# States a provider chooses themselves; "in a session" is set by the live domain.
CHOSEN_STATES = (State.OFFLINE, State.OPEN, State.APPOINTMENT, State.AWAY)
# States to return to when a session ends.
STANDBY_STATES = (State.OPEN, State.APPOINTMENT)


class Presence(models.Model):
    """Where a provider is right now. One row per provider, written by presence.services."""

    provider = models.OneToOneField(
        "storefront.Provider", on_delete=models.CASCADE, primary_key=True, related_name="presence"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.OFFLINE)
    # While in a session: the standby the provider returns to when it ends (or offline).
    after_session = models.CharField(
        max_length=12, choices=State.choices, default=State.OFFLINE, blank=True
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state"], name="presence_state")]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.state}"


class AccessPolicy(models.Model):
    """Who may connect to a provider, beyond the state they are in."""

    provider = models.OneToOneField(
        "storefront.Provider", on_delete=models.CASCADE, related_name="access_policy"
    )
    # Someone new to the provider cannot drop in during open standby: they book.
    newcomers_by_reservation = models.BooleanField(
        _("newcomers by reservation only"), default=False
    )
    # Regulars may drop in during open standby (otherwise they too book or are invited).
    regulars_drop_in = models.BooleanField(_("regulars may drop in"), default=True)
    # Drop-in sessions (not by appointment) one customer may start in any 7 days.
    drop_ins_per_week = models.PositiveSmallIntegerField(
        _("drop-in sessions per customer per week"), null=True, blank=True
    )
    bookings_per_week = models.PositiveSmallIntegerField(
        _("bookings per customer per week"), null=True, blank=True
    )
    # A reserved time nobody uses opens appointment standby to everyone after this long.
    appointment_opens_after_minutes = models.PositiveSmallIntegerField(
        _("open an unused reserved time to everyone after (minutes)"), null=True, blank=True
    )

    def __str__(self) -> str:
        return f"access policy of {self.provider_id}"


class Invitation(models.Model):
    """A provider invites one customer in during appointment standby (待ち合わせ)."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="invitations"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-valid_from", "-id"]
        indexes = [
            models.Index(fields=["provider", "customer", "valid_until"], name="presence_invite")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="presence_invite_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} invites {self.customer_id}"


class Block(models.Model):
    """A provider no longer takes sessions from this customer."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="blocks"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "customer"], name="presence_block_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} blocks {self.customer_id}"


class MissedNewcomer(models.Model):
    """A customer new to the provider came while they were busy or waiting for an
    appointment, and could not connect. Insights show these to the provider."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="missed_newcomers"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=12, choices=State.choices)
    reason = models.CharField(max_length=30)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["provider", "-created_at"], name="presence_missed_recent")]

    def __str__(self) -> str:
        return f"missed newcomer {self.customer_id} at {self.provider_id}"
