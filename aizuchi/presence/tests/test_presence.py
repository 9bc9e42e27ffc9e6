"""Presence: chosen states, in-session and back, away when the standby page is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from aizuchi.billing.tests.factories import OfferingFactory
from aizuchi.core.connections import connection_close, connection_open
from aizuchi.core.errors import InvalidInput
from aizuchi.core.models import Connection
from aizuchi.presence.selectors import presence_snapshot
from aizuchi.presence.services import (
    presence_enter_session,
    presence_leave_session,
    presence_set,
    presence_sweep,
    presence_topic,
)
from aizuchi.storefront.models import Provider

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
def provider():
    return OfferingFactory().provider


def test_states_a_provider_chooses_and_the_session_in_between(
    provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pushes:
        presence_set(provider=provider, state="appointment")
    assert len(pushes) == 2  # watchers of the provider, and the provider's own pages
    with pytest.raises(InvalidInput):
        presence_set(provider=provider, state="in_session")
    presence_enter_session(provider=provider)
    presence_set(provider=provider, state="offline")  # chosen during the session: for after
    presence = Provider.objects.get(pk=provider.pk)
    assert (presence.presence_state, presence.presence_after_session) == ("in_session", "offline")
    presence_leave_session(provider=provider)
    assert Provider.objects.get(pk=provider.pk).presence_state == "offline"
    assert presence_snapshot(provider_ids=[provider.pk, 999999]) == {
        provider.pk: "offline",
        999999: "offline",
    }


def test_a_provider_whose_standby_page_is_gone_becomes_away_after_the_grace(provider):
    topic = presence_topic(provider.pk)
    with time_machine.travel(T0, tick=False) as clock:
        socket = connection_open(topic=topic, user=provider.user, role="provider")
        presence_set(provider=provider, state="open")
        for _step in range(12):  # two minutes with the page open and heard
            clock.shift(10)
            Connection.objects.filter(pk=socket.pk).update(seen_at=datetime.now(UTC))
            assert presence_sweep() == 0
        clock.shift(90)  # the page went silent (a dead phone): stale, then past the grace
        assert presence_sweep() == 1
        assert Provider.objects.get(pk=provider.pk).presence_state == "away"

        presence_set(provider=provider, state="open")
        socket = connection_open(topic=topic, user=provider.user, role="provider")
        clock.shift(70)
        Connection.objects.filter(pk=socket.pk).update(seen_at=datetime.now(UTC))
        assert presence_sweep() == 0
        connection_close(connection_id=socket.pk, heard_at=datetime.now(UTC))
        clock.shift(30)
        assert presence_sweep() == 0  # within the grace (a reload, a network change)
        clock.shift(31)
        assert presence_sweep() == 1
        assert Provider.objects.get(pk=provider.pk).presence_state == "away"


def test_in_session_is_never_swept_to_away(provider):
    with time_machine.travel(T0, tick=False) as clock:
        presence_set(provider=provider, state="open")
        presence_enter_session(provider=provider)
        clock.shift(timedelta(hours=1))
        assert presence_sweep() == 0
        assert Provider.objects.get(pk=provider.pk).presence_state == "in_session"


def test_favourites_are_told_when_the_provider_comes_on_standby_once_in_a_while(provider):
    from aizuchi.accounts.tests.factories import UserFactory
    from aizuchi.notifications.models import Notification
    from aizuchi.relationships.models import Relationship
    from aizuchi.relationships.services import relationship_get_or_create
    from aizuchi.storefront.models import Favourite

    fan, blocked, stranger = UserFactory(), UserFactory(), UserFactory()
    for person in (fan, blocked):
        Favourite.objects.create(customer=person, provider=provider)
    relationship_get_or_create(provider_id=provider.pk, customer_id=blocked.pk)
    Relationship.objects.filter(customer=blocked).update(blocked_at=T0)

    def told(person) -> int:
        return Notification.objects.filter(user=person, kind="favourite_on_standby").count()

    with time_machine.travel(T0, tick=False):
        presence_set(provider=provider, state="open")
        assert (told(fan), told(blocked), told(stranger)) == (1, 0, 0)
        note = Notification.objects.get(user=fan)
        assert note.url == f"/providers/{provider.pk}/#offers"
        assert provider.display_name in note.title
        # appointments only, then open again: not a new "waiting for callers" for fans
        presence_set(provider=provider, state="appointment")
        presence_set(provider=provider, state="open")
        # away and back within the hour: not told again
        presence_set(provider=provider, state="away")
        presence_set(provider=provider, state="open")
        assert told(fan) == 1
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        presence_set(provider=provider, state="offline")
        presence_set(provider=provider, state="open")
        assert told(fan) == 2
