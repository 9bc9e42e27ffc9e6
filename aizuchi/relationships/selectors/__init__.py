"""Reads of relationship rows, and the shape of the facts they are rebuilt from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from ..models import Relationship, recent_pruned


def relationship_for(*, provider_id: int, customer_id: int) -> Relationship:
    """The pair's row; an unsaved row with nothing on it when they never met (reads
    never write)."""
    found = Relationship.objects.filter(provider_id=provider_id, customer_id=customer_id).first()
    return found or Relationship(provider_id=provider_id, customer_id=customer_id)


def relationships_for_provider(*, provider_id: int, limit: int = 20) -> QuerySet[Relationship]:
    """The provider's customers, most recent contact first (with the customer)."""
    return (
        Relationship.objects.filter(provider_id=provider_id, last_contact_at__isnull=False)
        .select_related("customer")
        .order_by("-last_contact_at", "-id")[:limit]
    )


@dataclass
class PairFacts:
    """What one domain knows of one (provider, customer) pair, for a rebuild. Each domain
    that owns facts gives these from its own rows (``live``, ``booking``, ``billing``)."""

    first_contact_at: datetime | None = None
    last_contact_at: datetime | None = None
    sessions_completed: int = 0
    sessions_billed: int = 0
    spent_yen: int = 0
    recent_drop_ins: list = field(default_factory=list)
    recent_bookings: list = field(default_factory=list)

    def merged(self, other: PairFacts) -> PairFacts:
        firsts = [t for t in (self.first_contact_at, other.first_contact_at) if t is not None]
        lasts = [t for t in (self.last_contact_at, other.last_contact_at) if t is not None]
        return PairFacts(
            first_contact_at=min(firsts) if firsts else None,
            last_contact_at=max(lasts) if lasts else None,
            sessions_completed=self.sessions_completed + other.sessions_completed,
            sessions_billed=self.sessions_billed + other.sessions_billed,
            spent_yen=self.spent_yen + other.spent_yen,
            recent_drop_ins=self.recent_drop_ins + other.recent_drop_ins,
            recent_bookings=self.recent_bookings + other.recent_bookings,
        )


Facts = dict[tuple[int, int], PairFacts]

# The fields a rebuild sets from the facts; blocks and invitations are their own source.
REBUILT_FIELDS = (
    "first_contact_at",
    "last_contact_at",
    "sessions_completed",
    "sessions_billed",
    "spent_yen",
    "recent_drop_ins",
    "recent_bookings",
)


def facts_merged(sources: list[Facts]) -> Facts:
    merged: Facts = {}
    for source in sources:
        for pair, facts in source.items():
            merged[pair] = merged[pair].merged(facts) if pair in merged else facts
    return merged


def relationship_values(row: Relationship, now: datetime) -> dict:
    """The rebuilt fields of a row as comparable values (recent lists pruned at ``now``)."""
    values = {name: getattr(row, name) for name in REBUILT_FIELDS}
    values["recent_drop_ins"] = recent_pruned(row.recent_drop_ins, now)
    values["recent_bookings"] = recent_pruned(row.recent_bookings, now)
    return values


def facts_values(facts: PairFacts, now: datetime) -> dict:
    values = {name: getattr(facts, name) for name in REBUILT_FIELDS}
    values["recent_drop_ins"] = recent_pruned(facts.recent_drop_ins, now)
    values["recent_bookings"] = recent_pruned(facts.recent_bookings, now)
    return values
