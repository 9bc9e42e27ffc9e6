"""Every change of a provider's presence goes through here."""

from __future__ import annotations

from django.utils import timezone

from .models import Presence, State


def presence_set(*, provider, state: State | str) -> Presence:
    """Record ``provider``'s current state. The live issues add pushes and the socket logic."""
    state = State(state)
    presence, _created = Presence.objects.update_or_create(
        provider=provider, defaults={"state": state, "changed_at": timezone.now()}
    )
    return presence
