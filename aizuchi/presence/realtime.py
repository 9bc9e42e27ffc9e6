"""The shapes of presence messages (docs/realtime.md)."""

from __future__ import annotations

from aizuchi.storefront.models import Provider


def presence_changed(provider: Provider) -> dict:
    return {
        "type": "presence.changed",
        "provider_id": provider.pk,
        "state": provider.presence_state,
        "after_session": provider.presence_after_session,
        "changed_at": provider.presence_changed_at.isoformat(),
    }


def presence_snapshot(states: dict[int, str]) -> dict:
    return {"type": "presence.snapshot", "states": {str(pk): s for pk, s in states.items()}}
