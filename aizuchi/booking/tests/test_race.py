"""Many customers race for one time through real server processes.

Two uvicorn processes (each serves sync views on its own threads) over the test database;
50 customers, each with a session cookie, a CSRF token and the booking form's key from
their own page load, post at once (a barrier). Exactly one wins one slot; the others hear
"just taken" in their language and keep every point. With slots of two lengths that
overlap, no two live bookings ever overlap. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Hold
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.booking.models import LIVE_STATUSES, Booking
from aizuchi.booking.services.bookings import JUST_TAKEN
from aizuchi.booking.services.slots import booking_settings_for, slots_for
from aizuchi.core.testing import AsgiServer
from aizuchi.storefront.services.standby import standby_plan_set

from .factories import window

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 50
POINTS = 10_000


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two server processes over the test database, as the scaled setup runs."""
    started = []
    with django_db_blocker.unblock():
        try:
            for name in ("one", "two"):
                server = AsgiServer(mail_dir=tmp_path_factory.mktemp(f"race-{name}") / "mail")
                started.append(server.start())
            yield started
        finally:
            for server in started:
                server.stop()


def _provider(**changes):
    """A chat offering (¥100 a minute, prepaid) whose provider takes bookings every day
    20:00–23:00 in Tokyo, confirmed at once."""
    offering = OfferingFactory(price_per_minute=100)
    provider = offering.provider
    standby_plan_set(provider=provider, windows=[window(day, 20, 0, 180) for day in range(7)])
    found = booking_settings_for(provider)
    for field, value in {"notice_minutes": 60, **changes}.items():
        setattr(found, field, value)
    found.save()
    return offering


def _racers(count: int) -> list:
    """Customers with points; every other one reads the site in English."""
    people = []
    for i in range(count):
        person = UserFactory(language="en" if i % 2 else "ja")
        fund(person, POINTS)
        people.append(person)
    return people


def _cookie(person) -> str:
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _race(servers, people, choices) -> list[httpx.Response]:
    """Each person loads the booking page (their cookie, CSRF token and form key), then all
    post their chosen (offering, start) at the same moment."""
    barrier = threading.Barrier(len(people))
    cookies = [_cookie(person) for person in people]

    def one(index: int) -> httpx.Response:
        server = servers[index % len(servers)]
        offering, start = choices[index]
        path = f"/booking/providers/{offering.provider_id}/"
        with httpx.Client(base_url=server.url, timeout=120) as client:
            client.cookies.set(settings.SESSION_COOKIE_NAME, cookies[index])
            page = client.get(path, params={"offering": offering.pk})
            assert page.status_code == 200, page.text
            form_key = KEY.search(page.text).group(1)
            token = client.cookies.get(settings.CSRF_COOKIE_NAME)
            barrier.wait(timeout=120)
            return client.post(
                path,
                data={
                    "csrfmiddlewaretoken": token,
                    "idempotency_key": form_key,
                    "offering_id": offering.pk,
                    "start": start.isoformat(),
                    "confirmed": "1",  # the confirmation step's button
                },
                headers={"Referer": server.url + path, "Origin": server.url},
            )

    with ThreadPoolExecutor(len(people)) as pool:
        return list(pool.map(one, range(len(people))))


def _form_error(html: str) -> str:
    found = re.search(r'class="form-errors" role="alert">([^<]*)<', html)
    return found.group(1).strip() if found else ""


def _assert_losers_heard_just_taken(people, responses) -> list:
    """Every response that is not a redirect to a booking is a 400 saying "just taken" in
    the person's language; returns the winners."""
    winners = []
    for person, response in zip(people, responses, strict=True):
        if response.status_code == 302:
            assert re.fullmatch(r"/booking/\d+/", response.headers["location"])
            winners.append(person)
            continue
        assert response.status_code == 400, response.text[:2000]
        with translation.override(person.language):
            expected = escape(str(JUST_TAKEN))
        assert _form_error(response.text) == expected
        assert f'<html lang="{person.language}"' in response.text
    return winners


def _assert_points(people, winners) -> None:
    """Losers have every point back (nothing held); a winner's hold is the price."""
    for person in people:
        balance = ledger.balance_yen(ledger.wallet(person))
        held = ledger.balance_yen(ledger.hold_account(person))
        if person in winners:
            booking = Booking.objects.get(customer=person)
            hold = Hold.objects.get(customer=person)
            assert booking.hold_id == hold.pk
            assert (hold.amount_yen, hold.status) == (booking.price_yen, "open")
            assert (balance, held) == (POINTS - booking.price_yen, booking.price_yen)
        else:
            assert (balance, held) == (POINTS, 0)
            assert not Hold.objects.filter(customer=person).exists()
            assert not Booking.objects.filter(customer=person).exists()


def _day_after_tomorrow(slots):
    """Slots two days ahead: clear of the notice, whatever the time of day now."""
    after = timezone.now() + dt.timedelta(days=2)
    return [slot for slot in slots if slot.start >= after]


def test_fifty_customers_race_for_one_slot(servers):
    offering = _provider()
    people = _racers(RACERS)
    slot = _day_after_tomorrow(slots_for(provider=offering.provider, offering=offering))[0]

    responses = _race(servers, people, [(offering, slot.start)] * RACERS)

    winners = _assert_losers_heard_just_taken(people, responses)
    assert len(winners) == 1
    booking = Booking.objects.get()
    assert booking.customer == winners[0]
    assert (booking.status, booking.start_at, booking.price_yen) == (
        "confirmed",
        slot.start,
        3000,
    )
    assert responses[people.index(winners[0])].headers["location"] == f"/booking/{booking.pk}/"
    _assert_points(people, winners)
    # the provider heard of one booking
    assert offering.provider.user.notifications.filter(kind="booking_made").count() == 1


def test_fifty_customers_race_for_overlapping_slots(servers):
    """Chat slots of 30 minutes and voice slots of 45 (with a 10-minute break) cut the same
    evening at different starts; 50 customers each take one of them at once."""
    chat = _provider(chat_slot_minutes=30, voice_slot_minutes=45)
    voice = OfferingFactory(provider=chat.provider, channel="voice", price_per_minute=80)
    day = _day_after_tomorrow(slots_for(provider=chat.provider, offering=chat))[0].start
    evening = [
        (offering, slot.start)
        for offering in (chat, voice)
        for slot in slots_for(provider=chat.provider, offering=offering)
        if day <= slot.start < day + dt.timedelta(hours=3)
    ]
    assert len(evening) == 6 + 4  # 20:00…22:30 by chat, 20:00…22:15 by voice
    people = _racers(RACERS)
    choices = list(itertools.islice(itertools.cycle(evening), RACERS))

    responses = _race(servers, people, choices)

    winners = _assert_losers_heard_just_taken(people, responses)
    live = list(Booking.objects.filter(status__in=LIVE_STATUSES).order_by("start_at"))
    assert len(live) == len(winners) == Booking.objects.count()
    assert len(live) >= 2
    # Every time nobody got meets a booking that someone got (a loser lost to a winner).
    taken = {(b.offering_id, b.start_at) for b in live}
    for offering, start in evening:
        if (offering.pk, start) in taken:
            continue
        minutes = 30 if offering.channel == "chat" else 45
        until = start + dt.timedelta(minutes=minutes + 10)
        assert any(b.start_at < until and start < b.blocked_until for b in live), start
    for earlier, later in itertools.pairwise(live):
        assert earlier.blocked_until <= later.start_at, (earlier, later)
    for booking in live:
        minutes = 30 if booking.channel == "chat" else 45
        assert booking.end_at - booking.start_at == dt.timedelta(minutes=minutes)
        assert booking.blocked_until - booking.end_at == dt.timedelta(minutes=10)
        assert booking.price_yen == (3000 if booking.channel == "chat" else 3600)
    _assert_points(people, winners)
