"""The card where the provider meets the customer: on a ring, beside the live session, in
the message thread, on bookings, and the "note and tier" step after a call; never for
anyone else."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import key
from aizuchi.booking.services import bookings as booking_services
from aizuchi.booking.tests.factories import bookable_offering, customer_with_points
from aizuchi.crm.models import Card
from aizuchi.live.models import Session
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.messaging.tests.factories import free_messages, send
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import card_for, met

pytestmark = pytest.mark.django_db

NOTE = "前回は転職の相談"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pair():
    provider, customer, session = met(display_name="みどり")
    card_for(
        provider,
        customer,
        tier=1,
        style="consult",
        personality_model="functions",
        personality_type="N",
        note=NOTE,
    )
    return provider, customer, session


def test_a_ring_shows_the_card_to_its_provider_only(pair):
    provider, customer, _session = pair
    ringing = SessionFactory(provider=provider, customer=customer)
    console = _client(provider.user).get(reverse("live:console")).content.decode()
    assert NOTE in console
    assert 'data-ring-part-url="/customers/ring/0/"' in console
    part = _client(provider.user).get(reverse("crm:ring", args=[ringing.pk]))
    assert part.status_code == 200
    assert NOTE in part.content.decode()
    stranger = ProviderFactory()
    assert _client(stranger.user).get(reverse("crm:ring", args=[ringing.pk])).status_code == 404
    customer_view = _client(customer).get(reverse("crm:ring", args=[ringing.pk]))
    assert NOTE.encode() not in customer_view.content


def test_beside_the_live_session_for_the_provider_only(pair):
    provider, customer, _session = pair
    active = SessionFactory(provider=provider, customer=customer, status=Session.Status.ACTIVE)
    url = reverse("live:session", args=[active.pk])
    assert NOTE in _client(provider.user).get(url).content.decode()
    assert NOTE not in _client(customer).get(url).content.decode()


def test_in_the_thread_for_the_provider_only(pair):
    provider, customer, _session = pair
    free_messages(provider)
    message = send(customer, provider, "こんばんは")
    url = reverse("messaging:thread", args=[message.thread_id])
    assert NOTE in _client(provider.user).get(url).content.decode()
    assert NOTE not in _client(customer).get(url).content.decode()


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_on_the_reservations_page():
    offering = bookable_offering()
    customer = customer_with_points(10_000)
    booking_services.booking_request(
        customer=customer, offering_id=offering.pk, start="2026-12-07T11:00:00+00:00", key=key("b")
    )
    card_for(offering.provider, customer, tier=2, note="予約の前にメモ")
    page = _client(offering.provider.user).get(reverse("booking:manage")).content.decode()
    assert "予約の前にメモ" in page
    assert reverse("crm:card", args=[customer.pk]) in page


def test_after_the_call_note_and_tier_in_one_step(pair):
    provider, customer, session = pair
    summary = reverse("live:summary", args=[session.pk])
    page = _client(provider.user).get(summary).content.decode()
    assert "data-after-call" in page
    assert "data-after-call" not in _client(customer).get(summary).content.decode()
    response = _client(provider.user).post(
        reverse("crm:note_and_tier", args=[customer.pk]),
        {"text": "今日は明るかった", "tier": "2", "next": summary},
    )
    assert response.status_code == 302
    assert response["Location"] == summary
    card = Card.objects.get(relationship__customer=customer)
    assert card.tier == 2
    assert card.notes.first().text == "今日は明るかった"
    refused = _client(provider.user).post(
        reverse("crm:note_and_tier", args=[customer.pk]),
        {"text": "x", "tier": "8", "next": "https://elsewhere.example/"},
    )
    assert refused["Location"] == reverse("crm:card", args=[customer.pk])
    card.refresh_from_db()
    assert card.tier == 2
    assert card.notes.count() == 2  # NOTE and the one after the call


def test_a_stranger_gets_no_after_call_step():
    provider, customer, session = met()
    other = ProviderFactory()
    response = _client(other.user).post(
        reverse("crm:note_and_tier", args=[customer.pk]), {"text": "x", "tier": "1"}
    )
    assert response.status_code == 404
    assert not Card.objects.exists()
    assert UserFactory().pk != customer.pk
