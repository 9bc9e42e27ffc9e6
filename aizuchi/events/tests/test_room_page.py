"""The room page of an online group talk: the host and confirmed attendees only (404 for
anyone else, whatever id), the blocked and the removed too; closed outside its hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from aizuchi.access.services import customer_block_set
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.events.models import Event, Registration
from aizuchi.events.services.registrations import event_register

from .factories import event_make, key

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _online(minutes: int = 5, **changes) -> Event:
    return event_make(
        kind=Event.Kind.ONLINE,
        price_yen=0,
        place="",
        meeting_point="",
        starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(minutes=minutes),
        **changes,
    )


def test_the_room_page_is_for_the_host_and_confirmed_attendees_only():
    event = _online()
    alice, bob, stranger = UserFactory(), UserFactory(), UserFactory()
    for person in (alice, bob):
        event_register(customer=person, event_id=event.pk, key=key())
    url = f"/events/{event.pk}/room/"
    for person in (event.provider.user, alice):
        response = _client(person).get(url)
        assert response.status_code == 200
        assert b"data-room=" in response.content
    detail = f"/events/{event.pk}/"
    for person in (event.provider.user, alice):
        assert b"data-room-link" in _client(person).get(detail).content
    assert b"data-room-link" not in _client(stranger).get(detail).content
    assert _client().get(url).status_code == 302  # to the sign-in page
    assert _client(stranger).get(url).status_code == 404
    for wrong in ("999999", str(10**30)):
        assert _client(alice).get(f"/events/{wrong}/room/").status_code == 404
    in_person = event_make(provider=event.provider)
    assert _client(event.provider.user).get(f"/events/{in_person.pk}/room/").status_code == 404
    Registration.objects.filter(customer=bob).update(room_removed_at=timezone.now())
    assert _client(bob).get(url).status_code == 404
    customer_block_set(provider=event.provider, customer_id=alice.pk, blocked=True)
    assert _client(alice).get(url).status_code == 404


def test_before_its_hours_the_room_says_when_it_opens():
    event = _online(minutes=120)
    alice = UserFactory(language="ja")
    event_register(customer=alice, event_id=event.pk, key=key())
    response = _client(alice).get(f"/events/{event.pk}/room/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert b"data-room-closed" in response.content
    assert "その頃にまたお越しください" in response.content.decode()
    assert b"room.js" not in response.content
