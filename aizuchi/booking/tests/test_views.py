"""The booking pages through the test client: every page for its rightful user in Japanese
and English, log-in where needed, authorization on every booking id, field-level refusals
that change nothing, the one-step "favourite and book" form offered when a provider is
busy, the private calendar feed, and the link from the provider's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from aizuchi.access.models import MissedNewcomer
from aizuchi.billing.models import Hold
from aizuchi.billing.tests.factories import OfferingFactory, key, session_for, wallet_yen
from aizuchi.booking.models import AvailabilityChange, Booking, BookingSettings
from aizuchi.booking.services import bookings as booking_services
from aizuchi.booking.services.slots import slots_for
from aizuchi.booking.views import BOOKED
from aizuchi.core.forms import KEY_INVALID
from aizuchi.live.models import Session
from aizuchi.live.tests.factories import on_standby
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.models import Favourite, Provider
from aizuchi.storefront.services.standby import standby_plan_set
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import bookable_offering, customer_with_points, window

pytestmark = pytest.mark.django_db

# A Monday morning in Tokyo; the provider takes bookings every day 20:00–22:00 (Tokyo) in
# 30-minute slots with a 10-minute break, an hour's notice, confirmed at once.
NOW = "2026-12-07 09:00 +0900"
FIRST = "2026-12-07T11:00:00+00:00"  # 20:00 in Tokyo
SECOND = "2026-12-07T11:30:00+00:00"  # 20:30
THIRD = "2026-12-07T12:00:00+00:00"  # 21:00
TUESDAY = "2026-12-08T11:00:00+00:00"
MON = 0


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def offering():
    return bookable_offering()


@pytest.fixture
def customer():
    return customer_with_points(10_000)


def _lang(person, language: str):
    person.language = language
    person.save(update_fields=["language"])
    return person


def _book_url(provider) -> str:
    return reverse("booking:provider", args=[provider.pk])


def _post_book(client, offering, start, **fields):
    """Book ``start`` through the confirmation step's button (``confirmed=""``: the step
    that only shows what booking it means)."""
    data = {
        "offering_id": offering.pk,
        "start": start,
        "idempotency_key": key("book"),
        "confirmed": "1",
        **fields,
    }
    return client.post(_book_url(offering.provider), data)


def _booking(offering, customer, start=FIRST) -> Booking:
    return booking_services.booking_request(
        customer=customer, offering_id=offering.pk, start=start, key=key("svc")
    )


def _form_errors(html: str) -> str:
    return " ".join(re.findall(r'class="form-errors" role="alert">([^<]*)<', html))


def _field_error(html: str) -> str:
    return " ".join(re.findall(r'class="field-error" role="alert">([^<]*)<', html))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _said(language: str, message, **params) -> str:
    """``message`` as a page in ``language`` shows it (escaped), translated or not yet."""
    with translation.override(language):
        text = gettext(str(message)) if isinstance(message, str) else str(message)
        return escape(text % params if params else text)


def _state(booking: Booking) -> tuple:
    booking.refresh_from_db()
    return (booking.status, booking.start_at, booking.hold_id, booking.cancelled_at)


# --- pages for their rightful users, in both languages ------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_customers_pages_render_in_their_language(client, offering, customer, language):
    _lang(customer, language)
    client.force_login(customer)
    page = client.get(_book_url(offering.provider))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<html lang="{language}"' in html
    assert f'data-slot="{FIRST}"' in html
    assert f'data-slot="{TUESDAY}"' in html
    assert 'name="favourite"' not in html  # only the refused page books and favourites
    assert "¥3,000" in html  # 30 minutes at ¥100: what a full slot comes to for this customer
    assert _said(language, "Find a listener") in html  # the page around it (translated)
    name = offering.provider.display_name
    assert _said(language, "Book a time with %(name)s", name=name) in html
    assert _said(language, "A full slot comes to %(total)s for you.", total="¥3,000") in html

    response = _post_book(client, offering, FIRST)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:detail", args=[booking.pk])
    assert (booking.customer, booking.status, booking.price_yen) == (customer, "confirmed", 3000)

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    html = detail.content.decode()
    assert f'<html lang="{language}"' in html
    assert 'data-status="confirmed"' in html
    assert "12/7" in html  # shown in the customer's zone: 20:00 on 7 December
    assert "20:00–20:30" in html
    assert reverse("booking:cancel", args=[booking.pk]) in html
    assert reverse("booking:reschedule", args=[booking.pk]) in html
    assert "data-enter" not in html  # not on yet
    assert _messages(detail) == [_said(language, BOOKED)]
    assert _said(language, "Free cancellation until") in html

    mine = client.get(reverse("booking:mine"))
    assert mine.status_code == 200
    assert reverse("booking:detail", args=[booking.pk]) in mine.content.decode()
    assert offering.provider.display_name in mine.content.decode()

    move = client.get(reverse("booking:reschedule", args=[booking.pk]))
    assert move.status_code == 200
    assert f'data-slot="{THIRD}"' in move.content.decode()

    ics = client.get(reverse("booking:ics", args=[booking.pk]))
    assert ics.status_code == 200
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    body = ics.content.decode()
    assert f"UID:booking-{booking.pk}@127.0.0.1:8000" in body  # this site's address
    assert "SEQUENCE:0" in body
    assert "DTSTART:20261207T110000Z" in body
    assert offering.provider.display_name in body


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_providers_pages_render_in_their_language(client, offering, customer, language):
    booking = _booking(offering, customer)
    owner = _lang(offering.provider.user, language)
    client.force_login(owner)
    manage = client.get(reverse("booking:manage"))
    assert manage.status_code == 200
    html = manage.content.decode()
    assert f'<html lang="{language}"' in html
    assert f'data-booking="{booking.pk}"' in html
    assert str(customer.public_name) in html
    assert 'aria-current="page"' in html  # the provider area's navigation, this section on
    assert 'name="voice_slot_minutes"' in html
    # Who may connect (the weekly booking cap among it) has its own page in the same area.
    assert reverse("access:policy") in html
    assert 'name="bookings_per_week"' in client.get(reverse("access:policy")).content.decode()
    assert 'name="form" value="change"' in html
    assert _said(language, "Reservations") in html
    assert _said(language, "Make an address") in html

    detail = client.get(reverse("booking:detail", args=[booking.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert str(customer.public_name) in html
    assert "data-enter" not in html  # entering is the customer's
    assert reverse("booking:manage") in html
    ics = client.get(reverse("booking:ics", args=[booking.pk]))
    assert ics.status_code == 200
    assert str(customer.public_name) in ics.content.decode()


def test_anonymous_people_are_sent_to_log_in(client, offering, customer):
    booking = _booking(offering, customer)
    login = reverse("account_login")
    for url in (
        reverse("booking:mine"),
        reverse("booking:detail", args=[booking.pk]),
        reverse("booking:ics", args=[booking.pk]),
        reverse("booking:reschedule", args=[booking.pk]),
        reverse("booking:manage"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login}?next="), url
    for url in (
        reverse("booking:cancel", args=[booking.pk]),
        reverse("booking:confirm", args=[booking.pk]),
    ):
        assert client.post(url)["Location"].startswith(f"{login}?next="), url
    # The free times are public; choosing one asks for a log-in and books nothing.
    page = client.get(_book_url(offering.provider))
    assert page.status_code == 200
    assert f'data-slot="{THIRD}"' in page.content.decode()
    assert f'data-slot="{FIRST}"' not in page.content.decode()  # booked
    response = _post_book(client, offering, THIRD)
    assert response["Location"] == f"{login}?next={_book_url(offering.provider)}"
    assert Booking.objects.count() == 1
    assert _state(booking)[0] == "confirmed"


def test_the_reservations_page_is_for_providers(client, customer):
    client.force_login(customer)
    assert client.get(reverse("booking:manage"))["Location"] == reverse("storefront:open")
    renew = client.post(reverse("booking:calendar_renew"))
    assert renew["Location"] == reverse("storefront:open")


def test_a_provider_without_offers_has_no_booking_page(client, customer):
    client.force_login(customer)
    assert client.get(_book_url(ProviderFactory())).status_code == 404
    assert client.get(reverse("booking:provider", args=[999_999])).status_code == 404


# --- authorization on every booking id ----------------------------------------------------------


def test_another_customers_booking_is_not_found(client, offering, customer):
    booking = _booking(offering, customer)
    before = _state(booking)
    balance = wallet_yen(customer)
    stranger = customer_with_points(10_000)
    client.force_login(stranger)
    assert client.get(reverse("booking:detail", args=[booking.pk])).status_code == 404
    assert client.get(reverse("booking:ics", args=[booking.pk])).status_code == 404
    assert client.get(reverse("booking:reschedule", args=[booking.pk])).status_code == 404
    move = client.post(reverse("booking:reschedule", args=[booking.pk]), {"start": THIRD})
    assert move.status_code == 404
    cancel = client.post(reverse("booking:cancel", args=[booking.pk]), {"reason": "x"})
    assert cancel.status_code == 404
    for name in ("confirm", "decline", "no_show"):
        assert client.post(reverse(f"booking:{name}", args=[booking.pk])).status_code == 404
    for bad in ("0", "999999"):
        assert client.get(f"/booking/{bad}/").status_code == 404
    assert _state(booking) == before
    assert wallet_yen(customer) == balance
    assert wallet_yen(stranger) == 10_000


def test_a_provider_acts_only_on_their_own_bookings(client, offering, customer):
    BookingSettings.objects.filter(provider=offering.provider).update(confirm_instantly=False)
    pending = _booking(offering, customer, FIRST)
    BookingSettings.objects.filter(provider=offering.provider).update(confirm_instantly=True)
    confirmed = _booking(offering, customer_with_points(), TUESDAY)
    other = bookable_offering()
    client.force_login(other.provider.user)
    before = [_state(pending), _state(confirmed)]
    for booking in (pending, confirmed):
        for url in (
            reverse("booking:detail", args=[booking.pk]),
            reverse("booking:ics", args=[booking.pk]),
        ):
            assert client.get(url).status_code == 404
        for name in ("confirm", "decline", "no_show", "cancel"):
            assert client.post(reverse(f"booking:{name}", args=[booking.pk])).status_code == 404
    # ...even at the time a no-show could be marked
    with time_machine.travel("2026-12-08 20:20 +0900", tick=False):
        no_show = client.post(reverse("booking:no_show", args=[confirmed.pk]))
        assert no_show.status_code == 404
    assert [_state(pending), _state(confirmed)] == before
    # The other provider's reservations page lists none of them.
    html = client.get(reverse("booking:manage")).content.decode()
    assert f'data-booking="{pending.pk}"' not in html
    assert f'data-booking="{confirmed.pk}"' not in html


def test_a_provider_page_books_only_that_providers_offers(client, offering, customer):
    """Another provider's offer posted to this provider's page (with "favourite") books
    nothing and favourites nobody."""
    other = bookable_offering()
    client.force_login(customer)
    response = client.post(
        _book_url(offering.provider),
        {
            "offering_id": other.pk,
            "start": FIRST,
            "idempotency_key": key("book"),
            "favourite": "on",
        },
    )
    assert response.status_code == 404
    assert not Booking.objects.exists()
    assert not Favourite.objects.exists()
    assert wallet_yen(customer) == 10_000


def test_a_customer_cannot_confirm_or_decline_their_own_request(client, offering, customer):
    BookingSettings.objects.filter(provider=offering.provider).update(confirm_instantly=False)
    booking = _booking(offering, customer)
    assert booking.status == "pending"
    client.force_login(customer)
    for name in ("confirm", "decline", "no_show"):
        assert client.post(reverse(f"booking:{name}", args=[booking.pk])).status_code == 404
    assert _state(booking)[0] == "pending"
    html = client.get(reverse("booking:detail", args=[booking.pk])).content.decode()
    assert "data-confirm" not in html


def test_the_provider_confirms_on_the_reservations_page(client, offering, customer):
    BookingSettings.objects.filter(provider=offering.provider).update(confirm_instantly=False)
    booking = _booking(offering, customer)
    client.force_login(_lang(offering.provider.user, "en"))
    manage = reverse("booking:manage")
    response = client.post(reverse("booking:confirm", args=[booking.pk]), {"next": manage})
    assert response["Location"] == manage
    assert _state(booking)[0] == "confirmed"
    again = client.post(reverse("booking:confirm", args=[booking.pk]), {"next": manage})
    assert again["Location"] == manage
    assert "This booking is not waiting for an answer." in _messages(client.get(manage))


def test_next_after_an_action_stays_on_this_site(client, offering, customer):
    BookingSettings.objects.filter(provider=offering.provider).update(confirm_instantly=False)
    booking = _booking(offering, customer)
    client.force_login(offering.provider.user)
    response = client.post(
        reverse("booking:confirm", args=[booking.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("booking:detail", args=[booking.pk])
    assert _state(booking)[0] == "confirmed"


@pytest.mark.parametrize(
    "back", ["-1", "NaN", "🙂", "'; DROP TABLE booking_booking; --", "../../", "%00", "/x\x00y"]
)
@pytest.mark.parametrize(
    ("action", "who", "then"),
    [
        ("confirm", "provider", "confirmed"),
        ("decline", "provider", "declined"),
        ("cancel", "customer", "cancelled"),
    ],
)
def test_a_next_that_is_no_page_of_ours_leads_to_the_booking(
    client, offering, customer, back, action, who, then
):
    """The action is done, and the browser lands on the booking, not on an error page."""
    BookingSettings.objects.filter(provider=offering.provider).update(confirm_instantly=False)
    booking = _booking(offering, customer)
    client.force_login(offering.provider.user if who == "provider" else customer)
    response = client.post(reverse(f"booking:{action}", args=[booking.pk]), {"next": back})
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:detail", args=[booking.pk])
    assert _state(booking)[0] == then


def test_a_no_show_with_a_word_for_next_leads_to_the_booking(client, offering, customer):
    booking = _booking(offering, customer)  # confirmed at once
    client.force_login(offering.provider.user)
    with time_machine.travel(booking.start_at + booking_services.NO_SHOW_AFTER, tick=False):
        response = client.post(reverse("booking:no_show", args=[booking.pk]), {"next": "-1"})
    assert response["Location"] == reverse("booking:detail", args=[booking.pk])
    assert _state(booking)[0] == "no_show"


def test_the_customer_cancels_before_the_deadline_for_free(client, offering, customer):
    booking = _booking(offering, customer, TUESDAY)
    assert wallet_yen(customer) == 7000
    client.force_login(_lang(customer, "en"))
    response = client.post(reverse("booking:cancel", args=[booking.pk]), {"reason": "体調不良"})
    assert response["Location"] == reverse("booking:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason, booking.cancelled_by) == (
        "cancelled",
        "体調不良",
        customer,
    )
    assert wallet_yen(customer) == 10_000
    assert "The booking is cancelled." in _messages(client.get(response["Location"]))


def test_a_late_cancellation_says_what_it_cost(client, offering, customer):
    booking = _booking(offering, customer, FIRST)  # 20:00 today: within the 24 hours
    client.force_login(_lang(customer, "en"))
    detail = client.get(reverse("booking:detail", args=[booking.pk])).content.decode()
    assert "Cancelling now costs ¥1,500 (a late cancellation)." in detail
    response = client.post(reverse("booking:cancel", args=[booking.pk]), follow=True)
    assert "The booking is cancelled. A late cancellation fee of ¥1,500 applies." in _messages(
        response
    )
    assert wallet_yen(customer) == 8500


# --- bad input: a field-level message, status 400, nothing changed ------------------------------


@pytest.mark.parametrize(
    "start",
    [
        "",
        "tomorrow evening",
        "2026-12-07T20:00",  # no zone
        "2026-12-07T11:10:00+00:00",  # not the start of a slot
        "2026-12-07T01:00:00+00:00",  # 10:00 in Tokyo: not bookable
        "2026-12-07T00:30:00+00:00",  # 09:30 today: before the notice
        "2027-03-01T11:00:00+00:00",  # beyond the horizon
    ],
)
def test_a_bad_start_is_a_field_error(client, offering, customer, start):
    client.force_login(_lang(customer, "en"))
    response = _post_book(client, offering, start)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["start"]
    assert errors["start"][0] in (
        str(booking_services.START_INVALID),
        str(booking_services.NOT_AVAILABLE),
        "This field is required.",
    )
    assert escape(errors["start"][0]) in _form_errors(response.content.decode())
    assert not Booking.objects.exists()
    assert wallet_yen(customer) == 10_000
    assert not Hold.objects.exists()


@pytest.mark.parametrize("start", ["", "tomorrow evening"])
def test_a_refused_note_with_a_bad_start_is_field_errors_not_a_500(
    client, offering, customer, start
):
    """The confirmation step shown again needs a start and an offer that were read; a
    refused note beside a missing or unreadable start answers with the field errors."""
    client.force_login(_lang(customer, "en"))
    response = _post_book(client, offering, start, note="\x00")
    assert response.status_code == 400
    assert "note" in response.context["form"].errors
    assert not Booking.objects.exists()
    assert wallet_yen(customer) == 10_000


def test_a_taken_time_is_refused_and_changes_nothing(client, offering, customer):
    first = _booking(offering, customer_with_points(), FIRST)
    before = _state(first)
    client.force_login(_lang(customer, "en"))
    # The slot itself, and the next one, which would begin in the first one's break.
    for start, message in (
        (FIRST, booking_services.JUST_TAKEN),
        (SECOND, booking_services.JUST_TAKEN),
    ):
        response = _post_book(client, offering, start)
        assert response.status_code == 400
        html = response.content.decode()
        assert response.context["form"].errors == {"start": [str(message)]}
        assert _form_errors(html).strip() == escape(message)
        assert f'data-slot="{start}"' not in html  # the page shows what is free now
        assert f'data-slot="{THIRD}"' in html
    assert not Booking.objects.filter(customer=customer).exists()
    assert wallet_yen(customer) == 10_000
    assert _state(first) == before


def test_a_tampered_idempotency_key_is_refused(client, offering, customer):
    client.force_login(_lang(customer, "en"))
    for bad in ("", "short", "x" * 65, "has spaces in it......"):
        response = _post_book(client, offering, FIRST, idempotency_key=bad)
        assert response.status_code == 400
        assert _form_errors(response.content.decode()).strip() == escape(KEY_INVALID)
    assert not Booking.objects.exists()
    assert wallet_yen(customer) == 10_000


def test_a_reused_key_with_another_time_is_refused(client, offering, customer):
    client.force_login(_lang(customer, "en"))
    fixed = key("same")
    assert _post_book(client, offering, FIRST, idempotency_key=fixed).status_code == 302
    # a retry of the same post gives the same booking...
    again = _post_book(client, offering, FIRST, idempotency_key=fixed)
    assert again["Location"] == reverse("booking:detail", args=[Booking.objects.get().pk])
    # ...and the key with another time is refused, not a second booking
    other = _post_book(client, offering, TUESDAY, idempotency_key=fixed)
    assert other.status_code == 400
    assert Booking.objects.count() == 1
    assert wallet_yen(customer) == 7000


def test_booking_needs_the_points_and_says_so(client, offering):
    poor = customer_with_points(1000)
    client.force_login(_lang(poor, "en"))
    response = _post_book(client, offering, FIRST)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-code="insufficient_points"' in html
    assert "holds ¥3,000 of points until it takes place, and you have ¥1,000" in html
    assert 'href="/billing/wallet/"' in html
    assert not Booking.objects.exists()
    assert wallet_yen(poor) == 1000


def test_a_provider_cannot_book_themselves(client, offering):
    client.force_login(_lang(offering.provider.user, "en"))
    response = _post_book(client, offering, FIRST)
    assert response.status_code == 400
    assert 'data-code="own_storefront"' in response.content.decode()
    assert not Booking.objects.exists()


def _settings_data(**changes):
    data = {
        "form": "settings",
        "confirm_instantly": "on",
        "approval_hold_minutes": "120",
        "voice_slot_minutes": "30",
        "chat_slot_minutes": "30",
        "buffer_minutes": "10",
        "horizon_days": "30",
        "tier_horizon_days": "0",
        "tier_horizon_tiers": "0",
        "notice_minutes": "60",
        "cancel_hours": "24",
        "late_cancel_percent": "50",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_provider_saves_reservation_settings(client, offering):
    client.force_login(_lang(offering.provider.user, "en"))
    response = client.post(
        reverse("booking:manage"),
        _settings_data(confirm_instantly=None, chat_slot_minutes="45", buffer_minutes="0"),
    )
    assert response["Location"] == reverse("booking:manage")
    found = BookingSettings.objects.get(provider=offering.provider)
    assert (found.confirm_instantly, found.chat_slot_minutes, found.buffer_minutes) == (
        False,
        45,
        0,
    )
    assert "Your reservation settings are saved." in _messages(client.get(response["Location"]))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("voice_slot_minutes", "5"),
        ("chat_slot_minutes", "241"),
        ("chat_slot_minutes", "abc"),
        ("buffer_minutes", "-1"),
        ("buffer_minutes", "121"),
        ("horizon_days", "0"),
        ("horizon_days", "366"),
        ("tier_horizon_days", "366"),
        ("tier_horizon_tiers", "11"),
        ("tier_horizon_tiers", "-1"),
        ("notice_minutes", "99999"),
        ("cancel_hours", "337"),
        ("late_cancel_percent", "101"),
        ("approval_hold_minutes", "5"),
        ("approval_hold_minutes", ""),
    ],
)
def test_settings_out_of_range_are_field_errors(client, offering, field, value):
    before = BookingSettings.objects.filter(provider=offering.provider).values().get()
    client.force_login(_lang(offering.provider.user, "en"))
    response = client.post(
        reverse("booking:manage"), _settings_data(confirm_instantly=None, **{field: value})
    )
    assert response.status_code == 400
    form = response.context["settings_form"]
    assert list(form.errors) == [field]
    assert _field_error(response.content.decode()) == escape(form.errors[field][0])
    assert BookingSettings.objects.filter(provider=offering.provider).values().get() == before


def test_the_provider_lets_top_ranks_book_further_ahead(client, offering):
    client.force_login(_lang(offering.provider.user, "en"))
    response = client.post(
        reverse("booking:manage"), _settings_data(tier_horizon_days="60", tier_horizon_tiers="2")
    )
    assert response["Location"] == reverse("booking:manage")
    found = BookingSettings.objects.get(provider=offering.provider)
    assert (found.horizon_days, found.tier_horizon_days, found.tier_horizon_tiers) == (30, 60, 2)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter more days than everyone may book ahead (30)"),
        ("ja", "全員が予約できる日数（30日）より多い日数"),
    ],
)
def test_a_further_horizon_no_longer_than_everyones_is_a_field_error(
    client, offering, language, message
):
    before = BookingSettings.objects.filter(provider=offering.provider).values().get()
    client.force_login(_lang(offering.provider.user, language))
    response = client.post(
        reverse("booking:manage"), _settings_data(tier_horizon_days="30", tier_horizon_tiers="1")
    )
    assert response.status_code == 400
    form = response.context["settings_form"]
    assert list(form.errors) == ["tier_horizon_days"]
    assert message in form.errors["tier_horizon_days"][0]
    assert message in response.content.decode()
    assert BookingSettings.objects.filter(provider=offering.provider).values().get() == before


def test_a_top_rank_customer_sees_a_day_beyond_the_horizon_on_the_page(client, offering, customer):
    found = BookingSettings.objects.get(provider=offering.provider)
    found.horizon_days, found.tier_horizon_days, found.tier_horizon_tiers = 2, 10, 1
    found.save()
    row, _made = Relationship.objects.get_or_create(provider=offering.provider, customer=customer)
    client.force_login(_lang(customer, "en"))
    page = _book_url(offering.provider)
    far = 'data-slot="2026-12-12T11:00:00+00:00"'  # five days after the clock's Monday

    def far_shown() -> bool:
        return far in client.get(page).content.decode()

    assert not far_shown()
    row.tier = 3
    row.save()
    assert not far_shown()
    row.tier = 1
    row.save()
    assert far_shown()


def test_a_time_kept_for_top_ranks_is_shown_only_to_them_and_tagged(client, customer):
    offering = bookable_offering(window(MON, 20, 0, 60, tiers_only=1), window(MON, 21, 0, 60))
    row, _made = Relationship.objects.get_or_create(provider=offering.provider, customer=customer)
    client.force_login(_lang(customer, "ja"))
    page = _book_url(offering.provider)
    kept = f'data-slot="{FIRST}"'
    untiered = client.get(page).content.decode()
    assert kept not in untiered
    assert "data-kept-for-you" not in untiered
    row.tier = 1
    row.save()
    first = client.get(page).content.decode()
    assert kept in first
    assert "優先枠" in first


def test_the_provider_adds_and_removes_availability_changes(client, offering, customer):
    client.force_login(_lang(offering.provider.user, "en"))
    manage = reverse("booking:manage")
    closed = client.post(manage, {"form": "change", "date": "2026-12-07", "kind": "closed"})
    assert closed["Location"] == manage
    extra = client.post(
        manage,
        {
            "form": "change",
            "date": "2026-12-09",
            "kind": "extra",
            "start_time": "10:00",
            "minutes": "60",
            "newcomers_only": "on",
        },
    )
    assert extra["Location"] == manage
    change = AvailabilityChange.objects.get(kind="extra")
    assert (change.start_time, change.minutes, change.newcomers_only) == (dt.time(10), 60, True)
    client.force_login(customer)
    html = client.get(_book_url(offering.provider)).content.decode()
    assert f'data-slot="{FIRST}"' not in html  # today is closed
    assert 'data-slot="2026-12-09T01:00:00+00:00"' in html  # 10:00 on Wednesday
    # removing: only one's own change
    other = bookable_offering()
    client.force_login(other.provider.user)
    response = client.post(reverse("booking:change_remove", args=[change.pk]))
    assert response["Location"] == reverse("booking:manage")
    assert AvailabilityChange.objects.count() == 2
    client.force_login(offering.provider.user)
    client.post(reverse("booking:change_remove", args=[change.pk]))
    assert list(AvailabilityChange.objects.values_list("kind", flat=True)) == ["closed"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date": "2026-02-30", "kind": "closed"}, "date"),
        ({"date": "next friday", "kind": "closed"}, "date"),
        ({"date": "", "kind": "closed"}, "date"),
        ({"date": "2026-12-24", "kind": "holiday"}, "kind"),
        (
            {"date": "2026-12-24", "kind": "extra", "start_time": "25:00", "minutes": "60"},
            "start_time",
        ),
        (
            {"date": "2026-12-24", "kind": "extra", "start_time": "10:00", "minutes": "10"},
            "minutes",
        ),
        (
            {"date": "2026-12-24", "kind": "extra", "start_time": "10:00", "minutes": "2000"},
            "minutes",
        ),
        (
            {"date": "2026-12-24", "kind": "extra", "start_time": "10:00", "minutes": "1h"},
            "minutes",
        ),
        ({"date": "2026-12-24", "kind": "extra"}, "start_time"),
        ({"date": "2026-12-24", "kind": "closed", "start_time": "10:00"}, "minutes"),
    ],
)
def test_bad_availability_changes_are_field_errors(client, offering, fields, field):
    client.force_login(_lang(offering.provider.user, "en"))
    response = client.post(reverse("booking:manage"), {"form": "change", **fields})
    assert response.status_code == 400
    form = response.context["change_form"]
    assert list(form.errors) == [field]
    assert _field_error(response.content.decode()) == escape(form.errors[field][0])
    assert not AvailabilityChange.objects.exists()


def test_moving_to_a_taken_time_is_a_field_error(client, offering, customer):
    mine = _booking(offering, customer, TUESDAY)
    _booking(offering, customer_with_points(), FIRST)
    before = _state(mine)
    client.force_login(_lang(customer, "en"))
    url = reverse("booking:reschedule", args=[mine.pk])
    for start in (FIRST, "garbage", "2026-12-08T11:05:00+00:00"):
        response = client.post(url, {"start": start})
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert list(errors) == ["start"]
        assert escape(errors["start"][0]) in _form_errors(response.content.decode())
    assert _state(mine) == before
    moved = client.post(url, {"start": THIRD})
    assert moved["Location"] == reverse("booking:detail", args=[mine.pk])
    assert _state(mine)[1] == dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def test_a_reason_that_is_too_long_cancels_nothing(client, offering, customer):
    booking = _booking(offering, customer, TUESDAY)
    client.force_login(_lang(customer, "en"))
    response = client.post(
        reverse("booking:cancel", args=[booking.pk]), {"reason": "あ" * 301}, follow=True
    )
    assert "Keep the reason to 300 characters." in _messages(response)
    assert _state(booking)[0] == "confirmed"
    assert wallet_yen(customer) == 7000


# --- the one-step "favourite and book" form after a refusal --------------------------------------


def _slot_forms(html: str) -> list[dict[str, str]]:
    """What each time's button submits: the form's action and hidden fields, and its start."""
    forms = []
    for form in re.findall(
        r'<form method="post" action="([^"]*)" class="slot-form">(.*?)</form>', html, re.S
    ):
        action, body = form
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        for start in re.findall(r'<button type="submit" name="start" value="([^"]*)"', body):
            forms.append({"action": action, **fields, "start": start})
    return forms


def _confirm_form(html: str) -> dict[str, str]:
    """The confirmation step's fields, as its button submits them (the note left empty)."""
    body = re.search(
        r'<form method="post" action="[^"]*" class="booking-confirm-form">(.*?)</form>', html, re.S
    )
    assert body is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body[1]))
    return {**fields, "note": ""}


def test_a_newcomer_who_finds_the_provider_busy_favourites_and_books_from_the_offer(
    client, offering, customer
):
    newcomers = window(MON, 18, 0, 60, newcomers_only=True)  # Monday 18:00–19:00, kept
    standby_plan_set(
        provider=offering.provider, windows=[newcomers, *[window(d, 20) for d in range(7)]]
    )
    on_standby(offering.provider)
    Provider.objects.filter(pk=offering.provider.pk).update(presence_state="in_session")
    client.force_login(_lang(customer, "en"))
    refused = client.post(reverse("live:start"), {"offering_id": offering.pk})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-code="busy"' in html
    assert "confirming books it and keeps them in your favourites." in html
    forms = _slot_forms(html)
    assert len(forms) == 6
    # the newcomers' times come first: 18:00 and 18:30 today
    first = forms[0]
    assert first["start"] == "2026-12-07T09:00:00+00:00"
    assert first["action"] == _book_url(offering.provider)
    assert first["favourite"] == "on"
    assert first["offering_id"] == str(offering.pk)
    assert MissedNewcomer.objects.filter(customer=customer).count() == 1

    # choosing the time shows what booking it means; nothing is booked yet
    step = client.post(first["action"], {k: v for k, v in first.items() if k != "action"})
    assert step.status_code == 200
    assert "data-booking-confirm" in step.content.decode()
    assert not Booking.objects.exists()
    confirm = _confirm_form(step.content.decode())
    assert confirm["favourite"] == "on"
    assert confirm["confirmed"] == "1"
    response = client.post(first["action"], confirm)
    booking = Booking.objects.get()
    assert response["Location"] == reverse("booking:detail", args=[booking.pk])
    assert (booking.customer, booking.newcomers_slot, booking.status) == (
        customer,
        True,
        "confirmed",
    )
    assert Favourite.objects.filter(customer=customer, provider=offering.provider).exists()
    assert not Session.objects.exists()


def test_the_favourite_step_does_nothing_when_the_booking_is_refused(client, offering, customer):
    _booking(offering, customer_with_points(), FIRST)
    client.force_login(customer)
    response = _post_book(client, offering, FIRST, favourite="on")
    assert response.status_code == 400
    assert not Favourite.objects.exists()
    assert Booking.objects.count() == 1


def test_a_regular_does_not_see_or_take_a_newcomers_time(client, offering, customer):
    standby_plan_set(
        provider=offering.provider, windows=[window(MON, 18, 0, 60, newcomers_only=True)]
    )
    session_for(offering, customer, seconds=600)  # a completed session: a regular now
    client.force_login(_lang(customer, "en"))
    html = client.get(_book_url(offering.provider)).content.decode()
    assert "data-slot=" not in html
    response = _post_book(client, offering, "2026-12-07T09:00:00+00:00")
    assert response.status_code == 400
    assert 'data-code="newcomers_only"' in response.content.decode()
    assert not Booking.objects.exists()


# --- the calendar feed ---------------------------------------------------------------------------


def test_the_calendar_feed_serves_ical_until_a_new_address_is_made(client, offering, customer):
    booking = _booking(offering, customer)
    owner = offering.provider.user
    client.force_login(owner)
    html = client.get(reverse("booking:manage")).content.decode()
    assert "data-feed-url" not in html
    client.post(reverse("booking:calendar_renew"))
    token = BookingSettings.objects.get(provider=offering.provider).calendar_token
    feed = reverse("booking:feed", args=[token])
    assert f"http://testserver{feed}" in client.get(reverse("booking:manage")).content.decode()

    calendar_app = type(client)()  # no session: the calendar app has only the address
    response = calendar_app.get(feed)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR")
    assert f"UID:booking-{booking.pk}@127.0.0.1:8000" in body  # this site's address
    assert "SEQUENCE:0" in body
    assert str(customer.public_name) in body

    client.post(reverse("booking:calendar_renew"))
    new_token = BookingSettings.objects.get(provider=offering.provider).calendar_token
    assert new_token != token
    assert calendar_app.get(feed).status_code == 404
    assert calendar_app.get(reverse("booking:feed", args=[new_token])).status_code == 200
    assert calendar_app.get(reverse("booking:feed", args=["nothing-here"])).status_code == 404


# --- the provider's page links to booking --------------------------------------------------------


def test_the_providers_page_links_to_booking(client, offering, customer):
    client.force_login(customer)
    html = client.get(reverse("storefront:detail", args=[offering.provider_id])).content.decode()
    assert f'href="{_book_url(offering.provider)}?offering={offering.pk}"' in html
    client.force_login(offering.provider.user)  # not on one's own page
    html = client.get(reverse("storefront:detail", args=[offering.provider_id])).content.decode()
    assert f'href="{_book_url(offering.provider)}?offering={offering.pk}"' not in html


def test_the_first_booking_of_a_provider_who_never_opened_their_reservations_page(client, customer):
    """Regression: the first booking of a provider without a settings row was a server
    error (the booking lock read the row before anything made it). Reads never make it;
    the first booking does, with the defaults."""
    offering = OfferingFactory(price_per_minute=100)
    provider = offering.provider
    standby_plan_set(provider=provider, windows=[window(d, 20) for d in range(7)])
    assert not BookingSettings.objects.filter(provider=provider).exists()
    client.force_login(customer)
    page = client.get(_book_url(provider))  # showing the times writes nothing
    assert page.status_code == 200
    assert not BookingSettings.objects.filter(provider=provider).exists()
    [first, *_later] = slots_for(provider=provider, offering=offering)
    response = _post_book(client, offering, first.start.isoformat())
    booking = Booking.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:detail", args=[booking.pk])
    assert booking.status == Booking.Status.CONFIRMED  # the defaults: confirmed at once
    found = BookingSettings.objects.get(provider=provider)
    assert (found.confirm_instantly, found.buffer_minutes) == (True, 10)


def test_a_moved_booking_s_event_is_a_new_version_and_a_cancelled_one_says_so(
    client, offering, customer, settings
):
    settings.AIZUCHI_SITE_URL = "https://talk.example.jp"
    booking = _booking(offering, customer, TUESDAY)  # before its free cancellation deadline
    client.force_login(customer)
    later = "2026-12-08T12:00:00+00:00"
    moved = client.post(reverse("booking:reschedule", args=[booking.pk]), {"start": later})
    assert moved.status_code == 302
    body = client.get(reverse("booking:ics", args=[booking.pk])).content.decode()
    assert f"UID:booking-{booking.pk}@talk.example.jp" in body
    assert "SEQUENCE:1" in body
    assert "STATUS:CONFIRMED" in body
    client.post(reverse("booking:cancel", args=[booking.pk]), {"reason": ""})
    body = client.get(reverse("booking:ics", args=[booking.pk])).content.decode()
    assert "STATUS:CANCELLED" in body
    assert "SEQUENCE:2" in body
    # the provider's subscribed calendar hears of it too
    client.force_login(offering.provider.user)
    client.post(reverse("booking:calendar_renew"))
    token = BookingSettings.objects.get(provider=offering.provider).calendar_token
    feed = type(client)().get(reverse("booking:feed", args=[token])).content.decode()
    assert f"UID:booking-{booking.pk}@talk.example.jp" in feed
    assert "STATUS:CANCELLED" in feed


def test_choosing_a_time_shows_the_terms_and_books_nothing_until_confirmed(
    client, offering, customer
):
    client.force_login(_lang(customer, "en"))
    step = _post_book(client, offering, TUESDAY, confirmed="", note="仕事のこと")
    assert step.status_code == 200
    html = step.content.decode()
    assert "data-booking-confirm" in html
    assert "¥3,000" in html  # the price for the full time
    assert "12/7 (Mon) 20:00" in html  # free cancellation until 24 hours before (Tokyo)
    assert "data-late-warning" not in html
    assert "仕事のこと" in html  # what they wrote comes along in the note box
    assert "At the booked time" in html
    assert not Booking.objects.exists()
    assert wallet_yen(customer) == 10_000  # nothing held yet

    # a time whose free cancellation deadline has passed says so before booking
    late = _post_book(client, offering, FIRST, confirmed="")
    assert "data-late-warning" in late.content.decode()
    assert "¥1,500" in late.content.decode()  # half the price
    assert not Booking.objects.exists()

    confirm = _confirm_form(html)
    booked = client.post(_book_url(offering.provider), {**confirm, "note": "仕事のこと"})
    booking = Booking.objects.get()
    assert booked["Location"] == reverse("booking:detail", args=[booking.pk])
    assert (booking.start_at.isoformat(), booking.note) == (TUESDAY, "仕事のこと")


def test_the_confirmation_step_refuses_what_booking_would(client, offering, customer):
    _booking(offering, customer_with_points(), FIRST)
    client.force_login(_lang(customer, "en"))
    taken = _post_book(client, offering, FIRST, confirmed="")
    assert taken.status_code == 400
    assert "data-booking-confirm" not in taken.content.decode()
    nonsense = _post_book(client, offering, "not a time", confirmed="")
    assert nonsense.status_code == 400
    assert "Choose one of the times shown." in nonsense.content.decode()
    assert Booking.objects.count() == 1
