"""The seat counters: taken and given back only by conditional updates of the event's
row, so two processes can never sell the same last seat (the row's check constraints are
the last word)."""

from __future__ import annotations

from django.db.models import F

from ..models import Event


def seat_claim(*, event_id: int, newcomer: bool) -> bool | None:
    """Take a seat: a newcomer may take any seat, anyone else one not kept for newcomers.
    Returns whether the seat counts as a regular one, or None when there is none."""
    open_seats = Event.objects.filter(
        pk=event_id, status=Event.Status.SCHEDULED, seats_taken__lt=F("capacity")
    )
    if newcomer:
        return False if open_seats.update(seats_taken=F("seats_taken") + 1) else None
    taken = open_seats.filter(regular_seats_taken__lt=F("capacity") - F("newcomer_seats")).update(
        seats_taken=F("seats_taken") + 1, regular_seats_taken=F("regular_seats_taken") + 1
    )
    return True if taken else None


def seat_release(*, event_id: int, regular: bool) -> None:
    """Give a seat back."""
    changes = {"seats_taken": F("seats_taken") - 1}
    if regular:
        changes["regular_seats_taken"] = F("regular_seats_taken") - 1
    Event.objects.filter(pk=event_id).update(**changes)
