"""A card is its provider's alone: another provider, the customer, anyone signed out, and
staff outside the admin see nothing of it, whatever id they try; staff in the admin read
it and leave a record of it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.crm.models import Card, Note, StaffView, TierName
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import card_for, met

SECRET = "ひみつのメモ"


@pytest.fixture
def world(db):
    provider, customer, session = met()
    card = card_for(provider, customer, note=SECRET, tier=1, tags="ないしょ")
    other_provider = ProviderFactory()
    met(other_provider)  # a provider with customers of their own
    return {
        "provider": provider,
        "customer": customer,
        "other_provider": other_provider,
        "stranger": UserFactory(),
        "staff": UserFactory(is_staff=True),
        "card": card,
        "note": card.notes.get(),
    }


def _client(person) -> Client:
    client = Client()
    if person is not None:
        client.force_login(getattr(person, "user", person))
    return client


def _state() -> list:
    return [
        list(Card.objects.order_by("pk").values_list("pk", "tier", "style", "personality_type")),
        list(Note.objects.order_by("pk").values_list("pk", "text")),
        list(TierName.objects.values_list("provider_id", "level", "name")),
    ]


def _pages(w) -> list[tuple[str, str, str, dict]]:
    customer, note = w["customer"], w["note"]
    return [
        ("card", "get", reverse("crm:card", args=[customer.pk]), {}),
        ("edit", "post", reverse("crm:card", args=[customer.pk]), {"tier": "4"}),
        ("note", "post", reverse("crm:note_add", args=[customer.pk]), {"text": "のぞき"}),
        ("after", "post", reverse("crm:note_and_tier", args=[customer.pk]), {"tier": "4"}),
        ("note_edit", "get", reverse("crm:note_edit", args=[note.pk]), {}),
        ("note_save", "post", reverse("crm:note_edit", args=[note.pk]), {"text": "書き換え"}),
        ("note_delete", "post", reverse("crm:note_delete", args=[note.pk]), {}),
    ]


@pytest.mark.parametrize("who", ["other_provider", "customer", "stranger", "staff", None])
def test_nobody_but_the_provider_reaches_a_card(world, who):
    person = world[who] if who else None
    client = _client(person)
    before = _state()
    for name, method, url, data in _pages(world):
        response = getattr(client, method)(url, data)
        if person is None:
            assert response.status_code == 302, name
            assert "/accounts/login/" in response["Location"], name
        elif who == "other_provider":
            assert response.status_code == 404, name
        else:  # no storefront: sent to open one, never shown the card
            assert response.status_code in (302, 404), name
        assert SECRET.encode() not in response.content, name
    assert _state() == before


@pytest.mark.parametrize("who", ["other_provider", "customer", "stranger"])
def test_lists_and_exports_show_only_ones_own(world, who):
    person = world[who]
    if who != "other_provider":
        person = ProviderFactory(user=person)
    client = _client(person)
    for url in (reverse("crm:list") + "?q=ひみつ", reverse("crm:list"), reverse("crm:export")):
        response = client.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in body
        assert "ないしょ".encode() not in body


def test_the_provider_sees_and_edits_their_card(world):
    client = _client(world["provider"].user)
    page = client.get(reverse("crm:card", args=[world["customer"].pk]))
    assert page.status_code == 200
    assert SECRET in page.content.decode()
    response = client.post(
        reverse("crm:card", args=[world["customer"].pk]),
        {"tier": "2", "style": "chat", "personality_model": "types16", "personality_type": "ENFP"},
    )
    assert response.status_code == 302
    world["card"].refresh_from_db()
    assert (world["card"].tier, world["card"].personality_type) == (2, "ENFP")


@given(
    customer_id=st.one_of(st.integers(min_value=-5, max_value=10**6), st.integers(min_value=2**62))
)
@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_id_of_someone_elses_is_not_found(world, customer_id):
    client = _client(world["other_provider"].user)
    if customer_id in world["other_provider"].relationships.values_list("customer_id", flat=True):
        return  # their own customer
    for name in ("crm:card", "crm:note_add"):
        url = reverse(name, args=[customer_id]) if customer_id >= 0 else None
        if url is None:
            continue
        response = client.get(url) if name == "crm:card" else client.post(url, {"text": "x"})
        assert response.status_code in (404, 405)
    note_url = reverse("crm:note_edit", args=[abs(customer_id)])
    assert client.get(note_url).status_code == 404


def test_the_same_customer_has_a_separate_card_with_each_provider(world):
    met(world["other_provider"], world["customer"])
    client = _client(world["other_provider"].user)
    page = client.get(reverse("crm:card", args=[world["customer"].pk]))
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "ないしょ" not in page.content.decode()


def test_staff_read_a_card_in_the_admin_and_are_recorded(world):
    staff = world["staff"]
    staff.is_superuser = True
    staff.save()
    client = _client(staff)
    url = reverse("admin:crm_card_change", args=[world["card"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    view = StaffView.objects.get()
    assert (view.staff_id, view.card_id) == (staff.pk, world["card"].pk)
    before = _state()
    client.post(url, {"tier": "4"})
    assert _state() == before
