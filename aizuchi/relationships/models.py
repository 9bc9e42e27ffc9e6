"""Who a customer is to a provider: one row per (provider, customer).

The row gathers what the domains above know of the pair, kept in step by them in the
same transaction as the fact (a session requested or completed, a booking made or
dropped, a charge or a refund, a block, an invitation), and rebuildable from those facts
(``manage.py relationships_rebuild``). The access policy reads it to decide who may
connect; customer cards, messaging and events grow from it.

- A *contact* is a session requested (whatever came of it) or a booking made:
  ``first_contact_at`` and ``last_contact_at`` are the earliest and latest of their times
  (``Session.requested_at``, ``Booking.created_at``).
- ``sessions_completed``: completed sessions. A customer with none is a newcomer.
- ``sessions_billed``: sessions charged for more than nothing (the pricing history: the
  first-session free minutes and cap apply while it is 0).
- ``spent_yen``: what the customer was charged for this provider (sessions and booking
  fees), less refunds.
- ``blocked_*``: the provider takes no sessions or bookings from the customer.
- ``invited_from`` / ``invited_until``: the current invitation to appointment standby,
  valid while now is in [from, until).
- ``tier``: the provider's investment tier for the customer (1 the most invested), set
  from the customer card (``crm``); its own source, like blocks. The access policy reads it
  for what a tier may do (``AccessPolicy.invited_tiers``).
- ``recent_drop_ins``: drop-in sessions (not by appointment) that were answered (active
  or completed) as ``[session id, requested at (ISO, UTC)]``; ``recent_bookings``: bookings
  made that still count (live, completed, no-show) as ``[booking id, created at]``. Both
  are pruned to the last 7 days on every write; the weekly caps count the entries of the
  last 7 days at the moment they ask (``drop_ins_since``, ``bookings_since``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RECENT_WINDOW = timedelta(days=7)


def recent_pruned(entries: list, now: datetime) -> list[list]:
    """``[id, iso time]`` entries of the last 7 days before ``now``, oldest first, once each."""
    since = now - RECENT_WINDOW
    kept: dict[int, str] = {}
    for source_id, moment in entries or []:
        when = datetime.fromisoformat(moment)
        if when >= since:
            kept[int(source_id)] = when.astimezone(UTC).isoformat()
    return [
        [source_id, moment]
        for source_id, moment in sorted(kept.items(), key=lambda e: (e[1], e[0]))
    ]


class Relationship(models.Model):
    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="relationships"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relationships"
    )
    first_contact_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    sessions_completed = models.PositiveIntegerField(default=0)
    sessions_billed = models.PositiveIntegerField(default=0)
    spent_yen = models.BigIntegerField(default=0)
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    block_reason = models.CharField(_("reason"), max_length=200, blank=True)
    invited_from = models.DateTimeField(null=True, blank=True)
    invited_until = models.DateTimeField(null=True, blank=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    recent_drop_ins = models.JSONField(default=list, blank=True)
    recent_bookings = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        indexes = [
            models.Index(fields=["provider", "-last_contact_at"], name="relationships_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "customer"], name="relationships_one_per_pair"
            ),
            models.CheckConstraint(
                condition=Q(spent_yen__gte=0), name="relationships_spent_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(invited_from__isnull=True, invited_until__isnull=True)
                | Q(invited_until__gt=F("invited_from")),
                name="relationships_invitation_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} ↔ {self.customer_id}"

    @property
    def is_newcomer(self) -> bool:
        """No completed session with this provider yet."""
        return self.sessions_completed == 0

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    def is_invited(self, now: datetime) -> bool:
        return (
            self.invited_from is not None
            and self.invited_until is not None
            and self.invited_from <= now < self.invited_until
        )

    def tier_within(self, levels: int | None) -> bool:
        """The customer's tier is one of the first ``levels`` (None or 0: none are)."""
        return bool(levels) and self.tier is not None and self.tier <= (levels or 0)

    def drop_ins_since(self, now: datetime) -> int:
        """Answered drop-in sessions requested in the 7 days before ``now``."""
        return len(recent_pruned(self.recent_drop_ins, now))

    def bookings_since(self, now: datetime) -> int:
        """Bookings made in the 7 days before ``now`` that still count."""
        return len(recent_pruned(self.recent_bookings, now))
