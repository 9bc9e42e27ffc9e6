from __future__ import annotations

from .models import Presence, State


def presence_state(*, provider) -> State:
    presence = Presence.objects.filter(provider=provider).only("state").first()
    return State(presence.state) if presence else State.OFFLINE
