"""Reservations in real browsers, through the real server.

A newcomer finds a busy provider, is offered the next free times (the ones kept for
newcomers first), and books one in one click, which also keeps the provider as a
favourite; the provider, who confirms each request, confirms it on the reservations page;
a regular does not see that newcomer time and is refused when posting it. Then a booking
that is on now: the provider waits in appointment standby, the customer presses "Enter the
session" on the booking page, the provider answers, and both are in the live session, paid
from the booking's hold. Screenshots at 1200 px and 375 px (no sideways scrolling on a
phone) go to test-results/screenshots/booking-*.png.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger, pricing
from aizuchi.billing.tests.factories import OfferingFactory, fund, session_for
from aizuchi.booking.models import Booking
from aizuchi.booking.services.slots import booking_settings_for
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.live.models import Session
from aizuchi.storefront.models import Favourite

from .factories import window

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKYO = ZoneInfo("Asia/Tokyo")


def _setup():
    """A provider with appointment windows two days from now (Tokyo): 20:00–21:00 kept for
    newcomers, 21:00–22:00 for anyone; every request waits for their answer. They are in a
    session with someone else right now. A newcomer and a regular, both with points."""
    from aizuchi.live.tests.factories import answered_session
    from aizuchi.presence.services import presence_set
    from aizuchi.storefront.services.standby import standby_plan_set

    offering = OfferingFactory(
        provider__user=UserFactory(email="akari@aizuchi.example"),
        provider__display_name="あかり",
        price_per_minute=100,
    )
    provider = offering.provider
    day = (timezone.now().astimezone(TOKYO) + dt.timedelta(days=2)).date()
    standby_plan_set(
        provider=provider,
        windows=[
            window(day.weekday(), 20, 0, 60, newcomers_only=True),
            window(day.weekday(), 21, 0, 60),
        ],
    )
    found = booking_settings_for(provider)
    found.confirm_instantly = False
    found.save()
    newcomer = UserFactory(email="hina@aizuchi.example", display_name="ひな")
    fund(newcomer, 10_000)
    regular = UserFactory(email="ren@aizuchi.example", display_name="れん")
    fund(regular, 10_000)
    session_for(offering, regular, seconds=900)  # a completed session: a regular
    other = UserFactory(display_name="いつもの人")
    fund(other, 10_000)
    presence_set(provider=provider, state="open")
    busy = answered_session(offering, other, connect_both=False)  # the provider is busy
    evening = dt.datetime.combine(day, dt.time(20), tzinfo=TOKYO).astimezone(dt.UTC)
    return offering, newcomer, regular, busy, evening


def _booking_now(offering, customer):
    """A confirmed booking of ``customer`` that began a minute ago, its price held, as
    ``booking_request`` leaves one (the server's clock cannot be moved)."""
    from aizuchi.billing.services.holds import hold_place
    from aizuchi.live.services.meter import session_end

    for session in Session.objects.filter(provider=offering.provider, status="active"):
        session_end(session=session, reason="provider_hung_up")  # the busy session ends
    now = timezone.now().replace(microsecond=0)
    policy = pricing.PricingPolicy.from_offering(offering)
    booking = Booking.objects.create(
        provider=offering.provider,
        customer=customer,
        offering=offering,
        channel=offering.channel,
        start_at=now - dt.timedelta(minutes=1),
        end_at=now + dt.timedelta(minutes=29),
        blocked_until=now + dt.timedelta(minutes=39),
        status=Booking.Status.CONFIRMED,
        decided_at=now,
        policy=policy.as_dict(),
        price_yen=3000,
    )
    booking.hold = hold_place(
        customer=customer,
        amount_yen=3000,
        provider=offering.provider,
        reference=f"booking:{booking.pk}",
        key=f"booking:{booking.pk}:hold",
    )
    booking.save(update_fields=["hold"])
    return booking


@pytest.fixture
def browser(browser):
    """The session's browser; this test's pages (a live session, a console) are closed
    after it, so their sockets and media do not weigh on the tests that follow."""
    before = set(browser.contexts)
    yield browser
    for context in set(browser.contexts) - before:
        context.close()


def test_a_newcomer_books_the_provider_confirms_and_they_meet_at_the_time(asgi_server, browser):
    offering, newcomer, regular, busy, evening = in_worker(_setup)
    provider = offering.provider
    base = asgi_server.url

    # The newcomer finds the provider busy and is offered the next free times, theirs first.
    guest = browser_log_in(browser, base, "hina@aizuchi.example", width=375)
    guest.goto(f"{base}/providers/{provider.pk}/")
    screenshot(guest, "booking-provider-page", widths=(1200, 375))
    guest.locator(".provider-offerings form.offering-start button").click()
    expect(guest.locator("[data-refusals] [data-code=busy]")).to_be_visible()
    times = guest.locator(".next-times button.slot")
    expect(times.first).to_have_attribute("data-slot", evening.isoformat())
    expect(times.first).to_have_class("slot slot-newcomers")
    screenshot(guest, "booking-refused-next-times", widths=(1200, 375))

    # Choosing a time shows what booking it means, with a box for what to talk about.
    times.first.click()
    step = guest.locator("[data-booking-confirm]")
    expect(step).to_be_visible()
    expect(step.locator("[data-price]")).to_contain_text("¥3,000")
    expect(step.locator("[data-deadline]")).to_contain_text("20:00")  # a day before
    expect(step.locator("[data-late-warning]")).to_have_count(0)
    expect(step).to_contain_text("予約の時間になったら")
    assert not Booking.objects.filter(customer=newcomer).exists()
    step.locator("textarea[name=note]").fill("仕事のことで少し聞いてほしいです")
    screenshot(guest, "booking-confirm", widths=(1200, 375))

    # Confirmed: requested (waiting for the provider's answer) and kept as a favourite.
    step.locator("[data-book-confirm]").click()
    expect(guest.locator("[data-status]")).to_have_attribute("data-status", "pending")
    expect(guest.locator("[data-booking-note]")).to_have_text("仕事のことで少し聞いてほしいです")
    expect(guest.locator("[data-add-calendar]")).to_have_text("カレンダーに追加")
    booking = Booking.objects.get(customer=newcomer)
    assert guest.url == f"{base}/booking/{booking.pk}/"
    assert (booking.start_at, booking.newcomers_slot, booking.status) == (
        evening,
        True,
        "pending",
    )
    assert Favourite.objects.filter(customer=newcomer, provider=provider).exists()
    assert ledger.balance_yen(ledger.wallet(newcomer)) == 7000  # ¥3,000 held
    screenshot(guest, "booking-detail-pending", widths=(1200, 375))
    guest.goto(f"{base}/booking/")
    expect(guest.locator(f"a[href='/booking/{booking.pk}/']")).to_be_visible()
    screenshot(guest, "booking-mine", widths=(1200, 375))

    # The provider confirms it on the reservations page.
    host = browser_log_in(browser, base, "akari@aizuchi.example")
    host.goto(f"{base}/booking/manage/")
    card = host.locator(f"[data-booking='{booking.pk}']")
    expect(card).to_contain_text("ひな")
    expect(card).to_contain_text("仕事のことで少し聞いてほしいです")  # the note came along
    screenshot(host, "booking-manage", widths=(1200, 375))
    card.locator("[data-confirm]").click()
    host.wait_for_url(f"{base}/booking/manage/")
    expect(card.locator("[data-confirm]")).to_have_count(0)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    guest.goto(f"{base}/booking/{booking.pk}/")
    expect(guest.locator("[data-status]")).to_have_attribute("data-status", "confirmed")

    # A regular sees only the times for anyone, and posting a newcomer time is refused.
    regular_page = browser_log_in(browser, base, "ren@aizuchi.example")
    regular_page.goto(f"{base}/booking/providers/{provider.pk}/")
    expect(regular_page.locator("button.slot").first).to_be_visible()
    expect(regular_page.locator("button.slot-newcomers")).to_have_count(0)
    # (20:30 that evening is in the break after the newcomer's booking; a week later is free)
    free_newcomer_time = (evening + dt.timedelta(days=7)).isoformat()
    expect(regular_page.locator(f"[data-slot='{free_newcomer_time}']")).to_have_count(0)
    regular_page.locator("form.slot-form").first.evaluate(
        "(form, start) => { const b = document.createElement('button');"
        " b.name = 'start'; b.value = start; form.append(b); b.click(); }",
        free_newcomer_time,
    )
    expect(regular_page.locator("[data-refusals] [data-code=newcomers_only]")).to_be_visible()
    screenshot(regular_page, "booking-regular-refused", widths=(1200, 375))
    assert not Booking.objects.filter(customer=regular).exists()
    assert ledger.balance_yen(ledger.wallet(regular)) == 10_000

    # At the time: the provider waits in appointment standby; the customer enters.
    now_booking = in_worker(lambda: _booking_now(offering, newcomer))
    host.goto(f"{base}/live/console/")
    expect(host.locator("[data-console]")).to_be_visible()
    host.locator("[data-state=appointment]").click()
    expect(host.locator("[data-state=appointment]")).to_have_attribute("aria-pressed", "true")
    guest.goto(f"{base}/booking/{now_booking.pk}/")
    enter = guest.locator("[data-enter]")
    expect(enter).to_be_visible()
    screenshot(guest, "booking-detail-enter", widths=(1200, 375))
    enter.click()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "ringing")
    session = Session.objects.get(customer=newcomer, status__in=["requested", "active"])
    ring = host.locator(f"[data-ring='{session.pk}']")
    expect(ring.locator("[data-ring-appointment]")).to_be_visible()
    ring.locator("[data-ring-accept]").click()
    expect(host.locator("[data-session]")).to_have_attribute("data-phase", "live")
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "live")
    screenshot(guest, "booking-session-live", widths=(1200, 375))

    session.refresh_from_db()
    now_booking.refresh_from_db()
    assert session.by_appointment
    assert session.hold_id == now_booking.hold_id  # paid from what the booking holds
    assert now_booking.session_id == session.pk
    assert session.limit_at == now_booking.end_at  # it ends with the booked time
    # The booking's hold covers the rest of the booked time (29 minutes) as it is: nothing
    # more is held, and nothing is charged before the session ends.
    hold = session.hold
    assert hold.amount_yen == 3000
    assert ledger.balance_yen(ledger.wallet(newcomer)) == 4000
    assert ledger.balance_yen(ledger.hold_account(newcomer)) == 3000 + hold.amount_yen
    busy.refresh_from_db()
    assert busy.status == "cancelled"
