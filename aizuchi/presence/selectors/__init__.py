"""Reads of presence: the states of many providers at once (the watch socket)."""

from __future__ import annotations

from aizuchi.storefront.models import PresenceState, Provider


def presence_snapshot(*, provider_ids: list[int]) -> dict[int, str]:
    """Each provider's state (offline for ids that are no provider)."""
    states = dict(Provider.objects.filter(pk__in=provider_ids).values_list("pk", "presence_state"))
    return {pk: states.get(pk, PresenceState.OFFLINE) for pk in provider_ids}
