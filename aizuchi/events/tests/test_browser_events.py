"""The seed case in a real browser, in Japanese, through the real server.

あかり makes an invite-only tea party for three in the editor and invites four of her
regular customers on the attendee page. Three take the seats; the fourth lands on the
waitlist and reads the kind "full this time"; the first cancels, the head of the waitlist
finds the seat held for her and confirms it within the hold; an uninvited customer finds
nothing, neither on the storefront nor at the event's address. Screenshots at 1200 px and
375 px (no sideways scrolling on a phone) go to test-results/screenshots/events-*.png.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.tests.factories import fund
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.events.models import Event, Registration
from aizuchi.relationships.services import relationship_session_completed
from aizuchi.storefront.tests.factories import ProviderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKYO = ZoneInfo("Asia/Tokyo")
NAMES = ["さくら", "みお", "ゆい", "はな"]


def _setup():
    provider = ProviderFactory(
        user=UserFactory(email="akari@aizuchi.example", time_zone="Asia/Tokyo"),
        display_name="あかり",
    )
    guests = []
    for i, name in enumerate(NAMES):
        guest = UserFactory(email=f"guest{i}@aizuchi.example", display_name=name)
        fund(guest, 10_000)
        relationship_session_completed(provider_id=provider.pk, customer_id=guest.pk)
        guests.append(guest)
    stranger = UserFactory(email="stranger@aizuchi.example", display_name="しらない人")
    fund(stranger, 10_000)
    return provider, guests, stranger


def _register(browser, base, email, event_id):
    page = browser_log_in(browser, base, email)
    page.goto(f"{base}/events/{event_id}/")
    page.locator("[data-register]").click()
    return page


def test_the_invite_only_tea_party_fills_waitlists_and_promotes(asgi_server, browser):
    provider, guests, stranger = in_worker(_setup)
    base = asgi_server.url
    day = (timezone.now().astimezone(TOKYO) + dt.timedelta(days=5)).date()

    host = browser_log_in(browser, base, "akari@aizuchi.example")
    host.goto(base + "/events/manage/new/")
    host.locator("#id_title").fill("月例お茶会")
    host.locator("#id_kind").select_option("in_person")
    host.locator("#id_series_title").fill("毎月のお茶会")
    host.locator("#id_starts_at").fill(f"{day.isoformat()}T14:00")
    host.locator("#id_price_yen").fill("3000")
    host.locator("#id_capacity").fill("0")
    host.locator("#id_audience").select_option("invited")
    host.locator("#id_place").fill("表参道のカフェ")
    host.locator("#id_meeting_point").fill("A2出口を出たところ 13:50")
    host.locator("[data-save]").click()
    # A capacity of 0: the field says so in Japanese, nothing is saved.
    expect(host.locator(".has-error .field-error")).to_contain_text("1 以上")
    screenshot(host, "events-editor-error", widths=(1200, 375))
    host.locator("#id_capacity").fill("3")
    host.locator("[data-save]").click()
    expect(host.locator("h1")).to_have_text("月例お茶会")
    event = in_worker(lambda: Event.objects.get())
    assert event.starts_at == dt.datetime.combine(day, dt.time(14), tzinfo=TOKYO)
    for name in NAMES:
        host.get_by_label(name).check()
    host.locator("[data-invite]").click()
    expect(host.locator("body")).to_contain_text("4人のお客さまを招待")

    pages = [_register(browser, base, f"guest{i}@aizuchi.example", event.pk) for i in range(3)]
    for page in pages:
        expect(page.locator("body")).to_contain_text("お申し込みが完了しました")
        expect(page.locator("[data-meeting-point]")).to_have_text("A2出口を出たところ 13:50")
    screenshot(pages[0], "events-detail-confirmed", widths=(1200, 375))

    fourth = _register(browser, base, "guest3@aizuchi.example", event.pk)
    expect(fourth.locator("body")).to_contain_text("今回は満席となりました")
    expect(fourth.locator("[data-registration=waitlisted]")).to_contain_text(
        "キャンセル待ちの1番目です"
    )
    expect(fourth.locator("[data-meeting-point]")).to_have_count(0)
    screenshot(fourth, "events-detail-waitlisted", widths=(1200, 375))

    first = pages[0]
    first.locator("[data-registration] details summary").click()
    first.locator("[data-cancel]").click()
    expect(first.locator("body")).to_contain_text("お申し込みをキャンセルしました")

    fourth.reload()
    expect(fourth.locator("[data-registration=offered]")).to_contain_text(
        "お席が空きましたので、あなたのために確保しています"
    )
    screenshot(fourth, "events-detail-offered", widths=(1200, 375))
    fourth.locator("[data-accept]").click()
    expect(fourth.locator("body")).to_contain_text("参加が確定しました")
    expect(fourth.locator("[data-meeting-point]")).to_be_visible()

    def _money():
        states = dict(
            Registration.objects.filter(event=event).values_list("customer__email", "state")
        )
        return states, [ledger.balance_yen(ledger.wallet(g)) for g in guests]

    states, wallets = in_worker(_money)
    assert states["guest0@aizuchi.example"] == "cancelled"
    assert states["guest3@aizuchi.example"] == "confirmed"
    assert wallets == [10_000, 7_000, 7_000, 7_000]

    host.goto(f"{base}/events/manage/{event.pk}/")
    expect(host.locator("table.attendees tbody tr")).to_have_count(4)
    screenshot(host, "events-manage", widths=(1200, 375))
    host.goto(base + "/events/manage/")
    screenshot(host, "events-manage-list", widths=(1200, 375))

    outsider = browser_log_in(browser, base, "stranger@aizuchi.example", width=375)
    outsider.goto(f"{base}/providers/{provider.pk}/")
    expect(outsider.locator("body")).not_to_contain_text("月例お茶会")
    response = outsider.goto(f"{base}/events/{event.pk}/")
    assert response.status == 404
    expect(outsider.locator("body")).not_to_contain_text("月例お茶会")
