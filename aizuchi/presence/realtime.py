"""The shapes of presence messages (docs/realtime.md)."""

from __future__ import annotations

from .models import Presence


def presence_changed(presence: Presence) -> dict:
    return {
        "type": "presence.changed",
        "provider_id": presence.provider_id,
        "state": presence.state,
        "after_session": presence.after_session,
        "changed_at": presence.changed_at.isoformat(),
    }


def presence_snapshot(states: dict[int, str]) -> dict:
    return {"type": "presence.snapshot", "states": {str(pk): s for pk, s in states.items()}}
