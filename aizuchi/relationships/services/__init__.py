"""Every change to a relationship row. The domains that own the facts call these in the
same transaction as the fact; each takes the row's lock (PostgreSQL; SQLite's write lock
already serialises), so concurrent facts of one pair add up.

``relationship_get_or_create`` makes the row the first time a pair needs one; reads use
``selectors.relationship_for``, which never writes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aizuchi.core.db import insert_or_skip

from ..models import Relationship, recent_pruned
from ..selectors import Facts, PairFacts, facts_values


def relationship_get_or_create(*, provider_id: int, customer_id: int) -> Relationship:
    """The pair's row, locked until the transaction ends; created when missing."""
    with transaction.atomic(savepoint=False):
        found = (
            Relationship.objects.select_for_update()
            .filter(provider_id=provider_id, customer_id=customer_id)
            .first()
        )
        if found is not None:
            return found
        row = Relationship(provider_id=provider_id, customer_id=customer_id)
        if insert_or_skip(row):
            return row
        # Created by a concurrent fact meanwhile (the insert waited for it).
        return Relationship.objects.select_for_update().get(
            provider_id=provider_id, customer_id=customer_id
        )


def _change(
    provider_id: int,
    customer_id: int,
    change: Callable[[Relationship], Iterable[str]],
    seen: Relationship | None = None,
) -> Relationship:
    """Apply ``change`` to the pair's row. ``seen``: the row as the caller read it in this
    transaction (the access policy did): then one statement writes it if it is still as
    read (an insert when it was missing, else an update on the condition that the changed
    fields still hold what was read); a concurrent fact in between, and the row is locked,
    read again and changed as usual."""
    with transaction.atomic(savepoint=False):
        if seen is not None:
            written = _change_as_seen(seen, change)
            if written is not None:
                return written
        row = relationship_get_or_create(provider_id=provider_id, customer_id=customer_id)
        fields = set(change(row))
        row.updated_at = timezone.now()
        row.save(update_fields=[*sorted(fields), "updated_at"])
    return row


def _change_as_seen(
    seen: Relationship, change: Callable[[Relationship], Iterable[str]]
) -> Relationship | None:
    """``change`` written in one statement if the row is still as ``seen``; else None."""
    row = copy.deepcopy(seen)
    fields = sorted(set(change(row)))
    row.updated_at = timezone.now()
    if seen.pk is None:
        return row if insert_or_skip(row) else None
    values = {name: getattr(row, name) for name in [*fields, "updated_at"]}
    as_read = {name: getattr(seen, name) for name in fields}
    if Relationship.objects.filter(pk=seen.pk, **as_read).update(**values):
        return row
    return None


def _add(provider_id: int, customer_id: int, **increments: int) -> None:
    """Counters up (or down) in one statement; the row is made first if it is missing."""
    values: dict[str, Any] = {name: F(name) + n for name, n in increments.items()}
    values["updated_at"] = timezone.now()
    with transaction.atomic(savepoint=False):
        changed = Relationship.objects.filter(
            provider_id=provider_id, customer_id=customer_id
        ).update(**values)
        if not changed:
            relationship_get_or_create(provider_id=provider_id, customer_id=customer_id)
            Relationship.objects.filter(provider_id=provider_id, customer_id=customer_id).update(
                **values
            )


def _contact(row: Relationship, at: datetime) -> list[str]:
    if row.first_contact_at is None or at < row.first_contact_at:
        row.first_contact_at = at
    if row.last_contact_at is None or at > row.last_contact_at:
        row.last_contact_at = at
    return ["first_contact_at", "last_contact_at"]


def _recent(entries: list, now: datetime, *, add=None, remove: int | None = None) -> list:
    kept = [entry for entry in entries or [] if int(entry[0]) != remove]
    if add is not None:
        kept.append([add[0], add[1].isoformat()])
    return recent_pruned(kept, now)


# --- sessions (live) -------------------------------------------------------------------------


def relationship_session_requested(
    *, provider_id: int, customer_id: int, requested_at: datetime
) -> Relationship:
    """A session was requested: a contact."""
    return _change(provider_id, customer_id, lambda row: _contact(row, requested_at))


def relationship_drop_in_answered(
    *, provider_id: int, customer_id: int, session_id: int, requested_at: datetime
) -> Relationship:
    """A drop-in session (not by appointment) was answered: it counts for the weekly cap."""
    now = timezone.now()

    def change(row: Relationship) -> list[str]:
        row.recent_drop_ins = _recent(row.recent_drop_ins, now, add=(session_id, requested_at))
        return ["recent_drop_ins"]

    return _change(provider_id, customer_id, change)


def relationship_drop_in_dropped(*, provider_id: int, customer_id: int, session_id: int) -> None:
    """An answered session never connected (cancelled): it no longer counts."""
    now = timezone.now()

    def change(row: Relationship) -> list[str]:
        row.recent_drop_ins = _recent(row.recent_drop_ins, now, remove=session_id)
        return ["recent_drop_ins"]

    _change(provider_id, customer_id, change)


def relationship_session_completed(*, provider_id: int, customer_id: int) -> None:
    """A session was completed: the customer is a regular from now on."""
    _add(provider_id, customer_id, sessions_completed=1)


# --- bookings --------------------------------------------------------------------------------


def relationship_booking_made(
    *,
    provider_id: int,
    customer_id: int,
    booking_id: int,
    created_at: datetime,
    seen: Relationship | None = None,
) -> Relationship:
    """A booking was made: a contact, and one more for the weekly booking cap. ``seen``:
    the row as the booking read it in this transaction (one statement when it is still
    so)."""
    now = timezone.now()

    def change(row: Relationship) -> list[str]:
        row.recent_bookings = _recent(row.recent_bookings, now, add=(booking_id, created_at))
        return [*_contact(row, created_at), "recent_bookings"]

    return _change(provider_id, customer_id, change, seen)


def relationship_booking_dropped(*, provider_id: int, customer_id: int, booking_id: int) -> None:
    """A booking was declined, expired or cancelled: it no longer counts for the cap."""
    now = timezone.now()

    def change(row: Relationship) -> list[str]:
        row.recent_bookings = _recent(row.recent_bookings, now, remove=booking_id)
        return ["recent_bookings"]

    _change(provider_id, customer_id, change)


# --- money (billing) -------------------------------------------------------------------------


def relationship_charged(
    *, provider_id: int, customer_id: int, amount_yen: int, session_billed: bool
) -> None:
    """A charge (a session's, or a booking's fee); ``session_billed``: a session charged
    for more than nothing, which ends the first-session terms."""
    increments = {"spent_yen": amount_yen}
    if session_billed:
        increments["sessions_billed"] = 1
    _add(provider_id, customer_id, **increments)


def relationship_refunded(*, provider_id: int, customer_id: int, amount_yen: int) -> None:
    _add(provider_id, customer_id, spent_yen=-amount_yen)


# --- the provider's choices (access) ---------------------------------------------------------


def relationship_block(*, provider_id: int, customer_id: int, by, reason: str = "") -> Relationship:
    def change(row: Relationship) -> list[str]:
        if row.blocked_at is None:
            row.blocked_at = timezone.now()
        row.blocked_by, row.block_reason = by, reason[:200]
        return ["blocked_at", "blocked_by", "block_reason"]

    return _change(provider_id, customer_id, change)


def relationship_unblock(*, provider_id: int, customer_id: int) -> Relationship:
    def change(row: Relationship) -> list[str]:
        row.blocked_at, row.blocked_by, row.block_reason = None, None, ""
        return ["blocked_at", "blocked_by", "block_reason"]

    return _change(provider_id, customer_id, change)


def relationship_tier_set(*, provider_id: int, customer_id: int, tier: int | None) -> None:
    """The provider's investment tier for the customer (from the customer card)."""

    def change(row: Relationship) -> list[str]:
        row.tier = tier
        return ["tier"]

    _change(provider_id, customer_id, change)


def relationship_invite(
    *, provider_id: int, customer_id: int, valid_from: datetime, valid_until: datetime
) -> Relationship:
    """Let the customer in during appointment standby from ``valid_from`` until
    ``valid_until`` (replacing an earlier invitation)."""

    def change(row: Relationship) -> list[str]:
        row.invited_from, row.invited_until = valid_from, valid_until
        return ["invited_from", "invited_until"]

    return _change(provider_id, customer_id, change)


# --- rebuilding from the facts ----------------------------------------------------------------


def relationships_rebuild(
    *, facts: Facts, provider_id: int | None = None, now: datetime | None = None
) -> int:
    """Set every row's counted fields from ``facts`` (merged from each domain's own rows),
    creating the missing rows; rows without facts go back to nothing. Blocks and
    invitations are their own source and stay. Returns how many rows were written."""
    now = now or timezone.now()
    written = 0
    with transaction.atomic():
        rows = Relationship.objects.select_for_update()
        if provider_id is not None:
            rows = rows.filter(provider_id=provider_id)
        existing = {(row.provider_id, row.customer_id): row for row in rows}
        pairs = set(existing) | {
            pair for pair in facts if provider_id is None or pair[0] == provider_id
        }
        for pair in sorted(pairs):
            row = existing.get(pair) or Relationship(provider_id=pair[0], customer_id=pair[1])
            values = facts_values(facts.get(pair, PairFacts()), now)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            row.save()
            written += 1
    return written
