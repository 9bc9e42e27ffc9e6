"""The event pages through the test client: the editor's field-level refusals in Japanese
and English that change nothing, times entered in the provider's zone, the customer's page
(meeting point only to a confirmed seat), 404 for the uninvited and the blocked whatever the
id, the storefront section, and the .ics file's stable UID."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aizuchi.access.services import customer_block_set
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.errors import InvalidInput
from aizuchi.crm.services.cards import card_note_and_tier, tier_names_set
from aizuchi.crm.tests.factories import met
from aizuchi.events.models import Event, Registration
from aizuchi.events.services import events as event_services
from aizuchi.events.services.registrations import offer_accept, registration_cancel
from aizuchi.relationships.services import relationship_session_completed
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import event_fields, event_make, funded

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**changes) -> dict:
    return {
        "title": "月例お茶会",
        "kind": "in_person",
        "starts_at": "2030-01-18T14:00",
        "length_minutes": "90",
        "price_yen": "3000",
        "payment": "prepaid",
        "capacity": "3",
        "newcomer_seats": "0",
        "audience": "invited",
        "cancel_free_hours": "24",
        "late_cancel_percent": "50",
        "offer_hold_hours": "12",
        "place": "表参道のカフェ",
        "meeting_point": "A2出口 13:50",
        **changes,
    }


def test_the_provider_creates_an_event_in_their_own_zone():
    provider = ProviderFactory(user__time_zone="Asia/Tokyo")
    response = _client(provider.user).post(reverse("events:create"), _form())
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("events:manage", args=[event.pk])
    assert event.starts_at == dt.datetime(2030, 1, 18, 5, 0, tzinfo=dt.UTC)
    assert event.registration_closes_at == event.starts_at


@pytest.mark.parametrize(
    ("language", "changes", "field", "message"),
    [
        ("ja", {"capacity": "0"}, "capacity", "1 以上"),
        ("ja", {"newcomer_seats": "5"}, "newcomer_seats", "初めての方のための席数は、定員以下に"),
        ("en", {"newcomer_seats": "5"}, "newcomer_seats", "Keep at most as many seats"),
        ("ja", {"starts_at": "2001-01-01T10:00"}, "starts_at", "これから先の日時"),
        ("ja", {"place": ""}, "place", "集まりの場所を入力"),
        ("en", {"place": ""}, "place", "Say where the gathering"),
        (
            "ja",
            {"registration_closes_at": "2030-01-19T10:00"},
            "registration_closes_at",
            "締め切りは開始より前",
        ),
        ("ja", {"price_yen": "abc"}, "price_yen", "整数"),
        ("ja", {"title": "\u202e"}, "title", ""),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(language, changes, field, message):
    provider = ProviderFactory(user__language=language)
    response = _client(provider.user).post(reverse("events:create"), _form(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    found = re.search(
        rf'id="id_{field}".*?<small class="field-error" role="alert">([^<]*)<', html, re.S
    )
    assert found, html[:3000]
    assert message in found.group(1)
    assert not Event.objects.exists()


def test_only_a_confirmed_seat_sees_the_meeting_point():
    event = event_make(capacity=1)
    seated, waiting = funded(UserFactory()), funded(UserFactory())
    for person in (seated, waiting):
        page = _client(person).get(reverse("events:detail", args=[event.pk]))
        form_key = re.search(r'name="idempotency_key" value="([^"]+)"', page.content.decode())
        _client(person).post(
            reverse("events:register", args=[event.pk]),
            {"idempotency_key": form_key.group(1)},
        )
    assert Registration.objects.get(customer=seated).state == "confirmed"
    mine = _client(seated).get(reverse("events:detail", args=[event.pk])).content.decode()
    theirs = _client(waiting).get(reverse("events:detail", args=[event.pk])).content.decode()
    visitor = Client().get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "ハチ公前" in mine
    assert "ハチ公前" not in theirs
    assert "ハチ公前" not in visitor
    assert "キャンセル待ちの1番目です" in theirs
    # The seat freed and offered to the waiting one: held, not confirmed, so neither the
    # page nor the calendar file shows the meeting point until they take it.
    registration_cancel(user=seated, registration_id=Registration.objects.get(customer=seated).pk)
    assert Registration.objects.get(customer=waiting).state == "offered"
    offered = _client(waiting)
    assert "ハチ公前" not in offered.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "ハチ公前" not in offered.get(reverse("events:ics", args=[event.pk])).content.decode()
    offer_accept(user=waiting, registration_id=Registration.objects.get(customer=waiting).pk)
    assert "ハチ公前" in offered.get(reverse("events:ics", args=[event.pk])).content.decode()


def test_the_uninvited_and_the_blocked_get_404_on_every_event_url():
    event = event_make(audience=Event.Audience.INVITED)
    guest, stranger = UserFactory(), UserFactory()
    relationship_session_completed(provider_id=event.provider_id, customer_id=guest.pk)
    event_services.event_invite(
        user=event.provider.user, event_id=event.pk, customer_ids=[guest.pk]
    )
    assert _client(guest).get(reverse("events:detail", args=[event.pk])).status_code == 200
    for user in (stranger, None):
        client = _client(user) if user else Client()
        assert client.get(reverse("events:detail", args=[event.pk])).status_code == 404
        assert client.get(reverse("events:ics", args=[event.pk])).status_code == 404
    assert _client(stranger).post(reverse("events:register", args=[event.pk])).status_code == 404
    assert _client(stranger).get(reverse("events:manage", args=[event.pk])).status_code in (
        302,
        404,
    )
    public = event_make(event.provider)
    customer_block_set(provider=event.provider, customer_id=guest.pk, blocked=True)
    assert _client(guest).get(reverse("events:detail", args=[public.pk])).status_code == 404
    page = _client(guest).get(reverse("storefront:detail", args=[event.provider_id]))
    assert reverse("events:detail", args=[public.pk]) not in page.content.decode()


def test_public_events_show_on_the_storefront_and_invite_only_ones_do_not():
    public = event_make(title="公開のお茶会")
    hidden = event_make(public.provider, title="招待制のランチ", audience=Event.Audience.INVITED)
    html = Client().get(reverse("storefront:detail", args=[public.provider_id])).content.decode()
    assert reverse("events:detail", args=[public.pk]) in html
    assert reverse("events:detail", args=[hidden.pk]) not in html


def test_the_ics_uid_is_stable_and_names_the_site(settings):
    settings.AIZUCHI_SITE_URL = "https://aizuchi.example.jp"
    event = event_make()
    url = reverse("events:ics", args=[event.pk])
    first = Client().get(url).content.decode()
    second = Client().get(url).content.decode()
    uid = f"UID:event-{event.pk}@aizuchi.example.jp"
    assert uid in first
    assert uid in second
    assert "ハチ公前" not in first


def test_the_provider_checks_in_and_marks_no_show_on_the_attendee_list():
    event = event_make(starts_at=timezone.now() + dt.timedelta(minutes=20))
    person = funded(UserFactory())
    from aizuchi.events.services.registrations import event_register

    seat = event_register(customer=person, event_id=event.pk, key="k" * 20)
    client = _client(event.provider.user)
    page = client.get(reverse("events:manage", args=[event.pk])).content.decode()
    assert str(person.public_name) in page
    client.post(reverse("events:check_in", args=[seat.pk]))
    seat.refresh_from_db()
    assert seat.state == "attended"
    other = ProviderFactory()
    assert _client(other.user).post(reverse("events:no_show", args=[seat.pk])).status_code == 404


def test_an_invite_only_event_takes_in_the_tiers_the_provider_chose():
    """Tiers 1–2 invited: a customer whose card says tier 2 sees and may register; tier 3,
    no tier, and a stranger get 404 — and the provider's form offers the tiers by name."""
    provider = ProviderFactory()
    response = _client(provider.user).post(
        reverse("events:create"), _form(starts_at="2030-02-01T14:00", invited_tiers="2")
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.invited_tiers == 2
    close, far, untiered, stranger = (funded(UserFactory()) for _ in range(4))
    for customer, tier in ((close, 2), (far, 3), (untiered, None)):
        met(provider, customer)
        card_note_and_tier(provider=provider, customer_id=customer.pk, text="", tier=tier)
    url = reverse("events:detail", args=[event.pk])
    assert _client(close).get(url).status_code == 200
    for customer in (far, untiered, stranger):
        assert _client(customer).get(url).status_code == 404
    # The form names the tiers as the provider does.
    tier_names_set(provider=provider, names={1: "いちばん", 2: "だいじ"})
    page = _client(provider.user).get(reverse("events:create")).content.decode()
    assert "だいじ" in page


def test_invited_tiers_outside_the_choices_are_refused_and_change_nothing():
    provider = ProviderFactory()
    for value in ("9", "0", "-1", "x"):
        response = _client(provider.user).post(reverse("events:create"), _form(invited_tiers=value))
        assert response.status_code == 400
        assert "invited_tiers" in response.context["form"].errors
    assert not Event.objects.exists()
    with pytest.raises(InvalidInput) as refused:
        event_services.event_create(
            user=provider.user,
            fields={**event_fields(audience="invited"), "invited_tiers": 7},
        )
    assert "invited_tiers" in refused.value.errors
