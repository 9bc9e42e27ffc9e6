"""Who may connect to a provider, beyond the state they are in: the provider's policy, and
the newcomers who came at a bad moment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.storefront.models import PresenceState


class AccessPolicy(models.Model):
    """Who may connect to a provider, beyond the state they are in. Without a row, the
    defaults (everyone may drop in, no limits)."""

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


class MissedNewcomer(models.Model):
    """A customer new to the provider came while they were busy or waiting for an
    appointment, and could not connect. Insights show these to the provider."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="missed_newcomers"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=12, choices=PresenceState.choices)
    reason = models.CharField(max_length=30)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["provider", "-created_at"], name="access_missed_recent")]

    def __str__(self) -> str:
        return f"missed newcomer {self.customer_id} at {self.provider_id}"
