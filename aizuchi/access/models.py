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
    # Customers the provider invests in most (tiers 1 to this one, from their customer
    # cards) may come in during appointment standby, as if invited.
    invited_tiers = models.PositiveSmallIntegerField(
        _("tiers 1 to this one may come in during appointment standby"),
        null=True,
        blank=True,
        help_text=_("For example 1: only your most valued customers. Empty: nobody by tier."),
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


class MessagePolicy(models.Model):
    """How a provider takes messages from one audience: newcomers (no completed session
    with them yet) or regulars. Without a row, ``MESSAGE_POLICY_DEFAULTS``.

    - closed: no messages from this audience (their earlier threads stay readable);
    - free: ``free_count`` free messages from each customer (in all, or each calendar
      month in the provider's time zone), then ``price_yen`` a message, or none when
      the price is 0;
    - paid: every message costs ``price_yen`` in points (prepaid) or on an invoice
      (postpaid).

    The provider's replies are always free. ``max_length`` caps each message's text.
    """

    class Audience(models.TextChoices):
        NEWCOMERS = "newcomers", _("newcomers")
        REGULARS = "regulars", _("regular customers")

    class Mode(models.TextChoices):
        CLOSED = "closed", _("not taking messages")
        FREE = "free", _("free pre-consultation")
        PAID = "paid", _("paid messages")

    class Period(models.TextChoices):
        TOTAL = "total", _("in all")
        MONTH = "month", _("each month")

    class Payment(models.TextChoices):
        PREPAID = "prepaid", _("prepaid points")
        POSTPAID = "postpaid", _("postpaid (invoice)")

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="message_policies"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices)
    mode = models.CharField(_("messages"), max_length=8, choices=Mode.choices)
    free_count = models.PositiveSmallIntegerField(_("free messages from each customer"))
    free_period = models.CharField(_("counted"), max_length=8, choices=Period.choices)
    max_length = models.PositiveSmallIntegerField(_("longest message (characters)"))
    price_yen = models.PositiveIntegerField(_("price per message (yen)"), default=0)
    payment = models.CharField(
        _("paid messages are"), max_length=10, choices=Payment.choices, default=Payment.PREPAID
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message policy")
        verbose_name_plural = _("message policies")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "audience"], name="access_message_policy_one_per_audience"
            ),
            models.CheckConstraint(
                condition=models.Q(max_length__gte=1, max_length__lte=2000),
                name="access_message_policy_length",
            ),
            models.CheckConstraint(
                condition=~models.Q(mode="paid") | models.Q(price_yen__gte=1),
                name="access_message_policy_paid_has_price",
            ),
        ]

    def __str__(self) -> str:
        return f"message policy of {self.provider_id} for {self.audience}"


# What a provider who never chose starts with: a newcomer may write once, for free; a
# regular three times a month. After that, a call, a booking (or the provider's reply).
MESSAGE_POLICY_DEFAULTS = {
    MessagePolicy.Audience.NEWCOMERS: {
        "mode": MessagePolicy.Mode.FREE,
        "free_count": 1,
        "free_period": MessagePolicy.Period.TOTAL,
        "max_length": 500,
        "price_yen": 0,
        "payment": MessagePolicy.Payment.PREPAID,
    },
    MessagePolicy.Audience.REGULARS: {
        "mode": MessagePolicy.Mode.FREE,
        "free_count": 3,
        "free_period": MessagePolicy.Period.MONTH,
        "max_length": 1000,
        "price_yen": 0,
        "payment": MessagePolicy.Payment.PREPAID,
    },
}
