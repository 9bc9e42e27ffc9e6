"""Every change of a provider's presence goes through here.

The state lives on the provider (``storefront.Provider.presence_state``,
``presence_after_session``, ``presence_changed_at``); these functions are its only writer:
each takes the provider's row lock, changes the state, and pushes it to
``presence.<provider_id>`` (profile and listing pages watch it) and to the provider's own
sockets. A provider chooses offline, open standby, appointment standby or away; "in a
session" is set by the live domain and remembers the standby to return to. A provider
whose standby page has been closed for ``PRESENCE_GRACE_SECONDS`` is shown as away
(``presence_sweep``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.connections import last_seen_by_role, topics_alive
from aizuchi.core.errors import InvalidInput
from aizuchi.core.realtime import publish, user_group
from aizuchi.notifications.models import Notification
from aizuchi.notifications.services import notifications_send
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.models import Favourite, PresenceState, Provider

from .. import realtime

STATE_NOT_CHOSEN = _("Choose offline, open standby, appointments only or away.")

State = PresenceState
# States a provider chooses themselves; "in a session" is set by the live domain.
CHOSEN_STATES = (State.OFFLINE, State.OPEN, State.APPOINTMENT, State.AWAY)
# States to return to when a session ends.
STANDBY_STATES = (State.OPEN, State.APPOINTMENT)
# A favourite's "on standby now" reaches each customer at most once in this long.
FAVOURITE_NOTICE_EVERY = timedelta(hours=3)
_COLUMNS = ("pk", "user_id", "presence_state", "presence_after_session", "presence_changed_at")


def presence_topic(provider_id: int) -> str:
    """The proof-of-life topic (``core.Connection.topic``) of a provider's standby page."""
    return f"presence:{provider_id}"


def presence_group(provider_id: int) -> str:
    return f"presence.{provider_id}"


def _live(name: str):
    return settings.AIZUCHI_LIVE[name]


def _write(provider: Provider, change) -> Provider:
    """Lock the provider's row, apply ``change(locked)`` (the new state and the standby to
    return to, or None to keep it), save and push if the state moved. The caller's
    ``provider`` object carries the result."""
    with transaction.atomic():
        locked = Provider.objects.select_for_update().only(*_COLUMNS).get(pk=provider.pk)
        state, after = change(locked)
        moved = state != locked.presence_state
        fields = []
        if moved:
            locked.presence_state = state
            locked.presence_changed_at = timezone.now()
            fields += ["presence_state", "presence_changed_at"]
        if after is not None and after != locked.presence_after_session:
            locked.presence_after_session = after
            fields.append("presence_after_session")
        if fields:
            locked.save(update_fields=fields)
        if moved:
            message = realtime.presence_changed(locked)
            publish(presence_group(locked.pk), message)
            publish(user_group(locked.user_id), message)
    provider.presence_state = locked.presence_state
    provider.presence_after_session = locked.presence_after_session
    provider.presence_changed_at = locked.presence_changed_at
    return provider


def presence_set(*, provider: Provider, state: State | str) -> Provider:
    """The provider chooses where they are. During a session the choice is kept for when
    it ends (the session itself goes on)."""
    if state not in CHOSEN_STATES:
        raise InvalidInput({"state": [STATE_NOT_CHOSEN]})

    before: list[str] = []

    def change(locked):
        before.append(locked.presence_state)
        if locked.presence_state == State.IN_SESSION:
            return State.IN_SESSION, state
        return state, state

    provider = _write(provider, change)
    if (
        before
        and before[-1] in (State.OFFLINE, State.AWAY)
        and provider.presence_state == State.OPEN
    ):
        favourites_tell_on_standby(provider=provider)
    return provider


def favourites_tell_on_standby(*, provider: Provider, now: datetime | None = None) -> int:
    """Tell the customers who keep ``provider`` as a favourite that they are waiting for
    callers now: not those the provider blocked, and each at most once in
    ``FAVOURITE_NOTICE_EVERY`` for this provider (a provider who steps away and back does
    not ring everyone's phone again). Returns how many were told."""
    now = now or timezone.now()
    fans = set(Favourite.objects.filter(provider=provider).values_list("customer_id", flat=True))
    if not fans:
        return 0
    fans -= set(
        Relationship.objects.filter(
            provider=provider, customer_id__in=fans, blocked_at__isnull=False
        ).values_list("customer_id", flat=True)
    )
    fans -= set(
        Notification.objects.filter(
            user_id__in=fans,
            kind="favourite_on_standby",
            params__provider_id=provider.pk,
            created_at__gte=now - FAVOURITE_NOTICE_EVERY,
        ).values_list("user_id", flat=True)
    )
    users = sorted(fans)
    if users:
        notifications_send(
            users=users,
            kind="favourite_on_standby",
            params=[{"provider": provider.display_name, "provider_id": provider.pk}] * len(users),
            url=reverse("storefront:detail", args=[provider.pk]) + "#offers",
        )
    return len(users)


def presence_enter_session(*, provider: Provider) -> Provider:
    def change(locked):
        current = locked.presence_state
        after = current if current in STANDBY_STATES else locked.presence_after_session
        return State.IN_SESSION, after or State.OFFLINE

    return _write(provider, change)


def presence_leave_session(*, provider: Provider) -> Provider:
    """Back to the standby the provider was in (or chose meanwhile)."""

    def change(locked):
        if locked.presence_state != State.IN_SESSION:
            return locked.presence_state, None
        return locked.presence_after_session or State.OFFLINE, None

    return _write(provider, change)


def presence_sweep(*, now: datetime | None = None) -> int:
    """Providers waiting for callers whose standby page has been gone too long are away."""
    now = now or timezone.now()
    grace = timedelta(seconds=_live("PRESENCE_GRACE_SECONDS"))
    waiting = list(
        Provider.objects.filter(
            presence_state__in=STANDBY_STATES, presence_changed_at__lte=now - grace
        )
        .only(*_COLUMNS)
        .order_by("pk")
    )
    if not waiting:
        return 0
    alive = topics_alive([presence_topic(p.pk) for p in waiting], now=now)
    moved = 0
    for provider in waiting:
        topic = presence_topic(provider.pk)
        if topic in alive:
            continue
        last = last_seen_by_role(topic=topic).get("provider")
        # Only a standby page that was there and went quiet counts; a provider who never
        # kept one open (the plain-form fallback, imported data) keeps their state.
        if last is None or last > now - grace:
            continue
        _write(provider, lambda locked: (State.AWAY, State.AWAY))
        moved += 1
    return moved
