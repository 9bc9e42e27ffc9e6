"""Fifty customers race for an event's seats through two real server processes.

Each has a session cookie, a CSRF token and the register form's key from their own page
load, and all post at once (a barrier). Exactly ``capacity`` get a seat with its price
held; everyone else is on the waitlist with every point kept; the event's counter equals
the seats. On SQLite and on PostgreSQL (``DATABASE_URL``).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from django.test import Client

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Hold
from aizuchi.core.testing import AsgiServer
from aizuchi.events.models import Registration

from .factories import event_make, funded

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 50
CAPACITY = 7
POINTS = 10_000
PRICE = 3_000
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
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


def _cookie(person) -> str:
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_fifty_registrations_at_once_fill_exactly_the_capacity(servers):
    event = event_make(capacity=CAPACITY, price_yen=PRICE)
    people = [funded(UserFactory(language="en" if i % 2 else "ja"), POINTS) for i in range(RACERS)]
    cookies = [_cookie(person) for person in people]
    barrier = threading.Barrier(RACERS)
    path = f"/events/{event.pk}/"

    def one(index: int) -> httpx.Response:
        server = servers[index % len(servers)]
        with httpx.Client(base_url=server.url, timeout=120) as client:
            client.cookies.set(settings.SESSION_COOKIE_NAME, cookies[index])
            page = client.get(path)
            assert page.status_code == 200, page.text[:2000]
            form_key = KEY.search(page.text).group(1)
            token = client.cookies.get(settings.CSRF_COOKIE_NAME)
            barrier.wait(timeout=120)
            return client.post(
                f"{path}register/",
                data={"csrfmiddlewaretoken": token, "idempotency_key": form_key},
                headers={"Referer": server.url + path, "Origin": server.url},
            )

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(one, range(RACERS)))
    assert all(r.status_code == 302 and r.headers["location"] == path for r in responses)
    states = {r.customer_id: r.state for r in Registration.objects.filter(event=event)}
    assert len(states) == RACERS
    winners = [p for p in people if states[p.pk] == Registration.State.CONFIRMED]
    assert len(winners) == CAPACITY
    assert (
        sum(1 for s in states.values() if s == Registration.State.WAITLISTED) == RACERS - CAPACITY
    )
    event.refresh_from_db()
    assert event.seats_taken == CAPACITY
    for person in people:
        wallet = ledger.balance_yen(ledger.wallet(person))
        held = ledger.balance_yen(ledger.hold_account(person))
        if person in winners:
            assert (wallet, held) == (POINTS - PRICE, PRICE)
        else:
            assert (wallet, held) == (POINTS, 0)
    assert Hold.objects.filter(customer__in=people).count() == CAPACITY
