"""Two real Chromium contexts hold a chat session through the real server: the provider on
standby answers, both chat, the customer hangs up, and the bill is right. Then a prepaid
session that ends by itself when the points run out."""

from datetime import timedelta

import pytest
from django.db.models import F
from playwright.sync_api import Page, expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Charge
from aizuchi.billing.services import charges
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.live.models import Message, Session
from aizuchi.storefront.models import Provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _go_on_standby(browser, base_url, email) -> Page:
    provider = browser_log_in(browser, base_url, email)
    provider.goto(base_url + "/live/console/")
    expect(provider.locator("[data-console]")).to_be_visible()
    provider.locator("[data-state=open]").click()
    expect(provider.locator("[data-state=open]")).to_have_attribute("aria-pressed", "true")
    return provider


def test_a_chat_session_in_two_browsers_with_the_right_bill(asgi_server, browser):
    def setup():
        offering = OfferingFactory(
            provider__user=UserFactory(email="haruka@aizuchi.example"),
            provider__display_name="はるか",
            price_per_minute=100,
        )
        customer = UserFactory(email="yuki@aizuchi.example", display_name="ゆき")
        fund(customer, 3000)
        return offering, customer

    offering, customer = in_worker(setup)
    base = asgi_server.url

    # The customer looks at the page while the provider is offline...
    guest = browser_log_in(browser, base, "yuki@aizuchi.example", width=375)
    guest.goto(f"{base}/providers/{offering.provider_id}/")
    badge = guest.locator(f".provider-head [data-presence-provider='{offering.provider_id}']")
    expect(badge).to_have_attribute("class", "presence-badge presence-offline")

    # ...and sees the badge change, without reloading, when the provider goes on standby.
    host = _go_on_standby(browser, base, "haruka@aizuchi.example")
    expect(badge).to_have_attribute("class", "presence-badge presence-open")

    guest.locator(".provider-offerings form.offering-start button").click()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "ringing")
    session = Session.objects.get(customer=customer)

    ring = host.locator(f"[data-ring='{session.pk}']")
    expect(ring).to_contain_text("ゆき")
    expect(ring.locator("[data-ring-newcomer]")).to_be_visible()
    screenshot(host, "live-console-ringing")
    ring.locator("[data-ring-accept]").click()
    expect(host.locator("[data-session]")).to_have_attribute("data-phase", "live")
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "live")

    guest.locator("[data-text]").fill("こんばんは。少し話を聞いてもらえますか")
    guest.locator("[data-send]").click()
    expect(host.locator("[data-messages] .bubble.them .chat-text")).to_have_text(
        "こんばんは。少し話を聞いてもらえますか"
    )
    host.locator("[data-text]").fill("もちろんです。ゆっくりで大丈夫ですよ")
    host.locator("[data-send]").click()
    expect(guest.locator("[data-messages] .bubble.them .chat-text")).to_have_text(
        "もちろんです。ゆっくりで大丈夫ですよ"
    )
    # both see the same meter: the first started minute is ¥100
    expect(guest.locator("[data-cost]")).to_have_text("¥100")
    expect(host.locator("[data-cost]")).to_have_text("¥100")
    expect(host.locator("[data-silence]")).to_be_visible()
    expect(guest.locator(".bubble.me .chat-read")).to_be_visible()  # the provider read it
    screenshot(guest, "live-session-customer-375")
    screenshot(host, "live-session-provider")

    guest.locator("[data-hang-up]").click()
    guest.wait_for_url(f"{base}/live/sessions/{session.pk}/summary/")
    host.wait_for_url(f"{base}/live/sessions/{session.pk}/summary/")
    expect(guest.locator("[data-charged]")).to_have_text("¥100")
    screenshot(guest, "live-summary-customer-375")

    session.refresh_from_db()
    assert (session.status, session.end_reason) == ("completed", "customer_hung_up")
    assert 0 < session.billable_seconds < 60
    assert Charge.objects.get(session_id=session.pk).amount_yen == 100
    assert ledger.balance_yen(ledger.wallet(customer)) == 2900
    assert ledger.balance_yen(ledger.earnings(offering.provider)) == 80
    assert list(Message.objects.filter(session=session).values_list("text", flat=True)) == [
        "こんばんは。少し話を聞いてもらえますか",
        "もちろんです。ゆっくりで大丈夫ですよ",
    ]
    # the host is back on standby for the next caller
    host.goto(f"{base}/live/console/")
    expect(host.locator("[data-state=open]")).to_have_attribute("aria-pressed", "true")


def test_a_prepaid_session_ends_itself_when_the_points_run_out(asgi_server, browser):
    def setup():
        offering = OfferingFactory(
            provider__user=UserFactory(email="sora@aizuchi.example"),
            price_per_minute=60,
            rounding="second",
        )
        customer = UserFactory(email="mei@aizuchi.example", display_name="めい")
        staff = UserFactory(is_staff=True)
        charges.adjustment_post(
            user=staff,
            target="wallet",
            owner_id=customer.pk,
            amount_yen=60,
            reason="お試し",
            key="browser-trial-points-0001",
        )
        return offering, customer

    offering, customer = in_worker(setup)
    base = asgi_server.url
    host = _go_on_standby(browser, base, "sora@aizuchi.example")
    guest = browser_log_in(browser, base, "mei@aizuchi.example")
    guest.goto(f"{base}/providers/{offering.provider_id}/")
    guest.locator(".provider-offerings form.offering-start button").click()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "ringing")
    session = Session.objects.get(customer=customer)
    host.locator(f"[data-ring='{session.pk}'] [data-ring-accept]").click()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "live")
    # ¥60 at ¥1 a second (points must cover a minute to start): the warning comes at
    # once, and the server ends the session after sixty seconds, whoever is watching.
    expect(guest.locator("[data-warning]")).to_be_visible()
    screenshot(guest, "live-session-points-warning")
    guest.wait_for_url(f"{base}/live/sessions/{session.pk}/summary/", timeout=90_000)
    session.refresh_from_db()
    assert (session.end_reason, session.billable_seconds) == ("points_ran_out", 60)
    assert Charge.objects.get(session_id=session.pk).amount_yen == 60
    assert ledger.balance_yen(ledger.wallet(customer)) == 0
    expect(guest.locator("[data-charged]")).to_have_text("¥60")


def test_a_voice_call_in_two_browsers_audio_both_ways_and_the_bill(asgi_server, browser):
    def setup():
        offering = OfferingFactory(
            provider__user=UserFactory(email="nagi@aizuchi.example"),
            provider__display_name="なぎ",
            channel="voice",
            price_per_minute=120,
        )
        customer = UserFactory(email="riku@aizuchi.example", display_name="りく")
        fund(customer, 3000)
        return offering, customer

    offering, customer = in_worker(setup)
    base = asgi_server.url
    host = _go_on_standby(browser, base, "nagi@aizuchi.example")
    guest = browser_log_in(browser, base, "riku@aizuchi.example", width=375)
    guest.goto(f"{base}/providers/{offering.provider_id}/")
    guest.locator(".provider-offerings form.offering-start button").click()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "ringing")
    session = Session.objects.get(customer=customer)
    host.locator(f"[data-ring='{session.pk}'] [data-ring-accept]").click()

    # The call connects (ICE over loopback, fake microphones)...
    for page in (guest, host):
        expect(page.locator("[data-call]")).to_have_attribute(
            "data-state", "connected", timeout=20_000
        )
    # ...and audio flows both ways: each side's getStats counts bytes in and out.
    for page in (guest, host):
        page.wait_for_function(
            "() => Number(document.querySelector('[data-call]').dataset.bytesIn) > 2000"
            " && Number(document.querySelector('[data-call]').dataset.bytesOut) > 2000",
            timeout=20_000,
        )
    # Muting is shown to the other side.
    guest.locator("[data-mute]").click()
    expect(host.locator("[data-call]")).to_have_attribute("data-peer-muted", "true")
    guest.locator("[data-mute]").click()
    expect(host.locator("[data-call]")).to_have_attribute("data-peer-muted", "false")
    screenshot(guest, "live-voice-customer-375")
    screenshot(host, "live-voice-provider")

    host.locator("[data-hang-up]").click()
    guest.wait_for_url(f"{base}/live/sessions/{session.pk}/summary/")
    session.refresh_from_db()
    assert (session.status, session.end_reason, session.channel) == (
        "completed",
        "provider_hung_up",
        "voice",
    )
    elapsed = (session.ended_at - session.started_at).total_seconds()
    assert session.billable_seconds == int(elapsed)
    minutes = -(-session.billable_seconds // 60)
    assert Charge.objects.get(session_id=session.pk).amount_yen == 120 * minutes
    assert ledger.balance_yen(ledger.wallet(customer)) == 3000 - 120 * minutes


def test_a_page_whose_person_signed_out_elsewhere_goes_to_the_login_not_round_in_circles(
    asgi_server, browser
):
    """The standby page's socket is refused with 4401 once the browser's session is gone:
    the page reloads into the login (and back after it) instead of reconnecting forever."""
    offering = in_worker(
        lambda: OfferingFactory(provider__user=UserFactory(email="nagi@aizuchi.example"))
    )
    base = asgi_server.url
    host = _go_on_standby(browser, base, "nagi@aizuchi.example")

    other_tab = host.context.new_page()  # the same browser, another tab: signs out there
    other_tab.goto(base + "/")
    other_tab.locator("details.dropdown summary").click()
    other_tab.locator("form[action='/accounts/logout/'] button").click()
    expect(other_tab.locator("details.dropdown summary")).to_have_count(0)

    host.locator("[data-state=appointment]").click()  # through the socket: refused, 4401
    host.wait_for_url(f"{base}/accounts/login/?next=/live/console/")
    presence = in_worker(lambda: Provider.objects.get(pk=offering.provider.pk))
    assert presence.presence_state == "open"  # the refused change did not happen


def test_the_free_minutes_count_down_and_the_switch_to_paid_is_shown(asgi_server, browser):
    def setup():
        offering = OfferingFactory(
            provider__user=UserFactory(email="kaede@aizuchi.example"),
            provider__display_name="かえで",
            price_per_minute=100,
            first_free_minutes=1,
        )
        customer = UserFactory(email="hina@aizuchi.example", display_name="ひな")
        fund(customer, 3000)
        return offering, customer

    offering, customer = in_worker(setup)
    base = asgi_server.url
    host = _go_on_standby(browser, base, "kaede@aizuchi.example")
    guest = browser_log_in(browser, base, "hina@aizuchi.example", width=375)
    guest.goto(f"{base}/providers/{offering.provider_id}/")
    expect(guest.locator("[data-first-terms]")).to_have_text("初回1分無料")
    # on a phone the ways in stay at hand at the bottom of the screen
    bar = guest.locator("[data-provider-bar]")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("予約する")
    guest.locator(".provider-offerings form.offering-start button").click()
    session = Session.objects.get(customer=customer)
    host.locator(f"[data-ring='{session.pk}'] [data-ring-accept]").click()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "live")

    free = guest.locator("[data-free]")
    expect(free).to_have_attribute("data-phase", "free")
    expect(free).to_contain_text("無料時間")
    expect(free).to_contain_text("から課金")
    expect(guest.locator("[data-cost]")).to_have_text("¥0")
    # the session is the whole phone screen: no site header, the end button in view
    guest.set_viewport_size({"width": 375, "height": 812})
    expect(guest.locator(".site-header")).to_be_hidden()
    expect(guest.locator("[data-hang-up]")).to_be_in_viewport()
    screenshot(guest, "live-session-free-time-375")

    # Fifty seconds later (moved on the server, then rebuilt from the state a reconnect
    # brings): the countdown nears its end, then the page says charging has started.
    Session.objects.filter(pk=session.pk).update(
        started_at=F("started_at") - timedelta(seconds=50),
        limit_at=F("limit_at") - timedelta(seconds=50),
    )
    guest.reload()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "live")
    expect(free).to_have_attribute("data-phase", "free")
    expect(free).to_have_attribute("data-phase", "paid", timeout=20_000)
    expect(free).to_contain_text("課金が始まりました")
    expect(guest.locator("[data-cost]")).to_have_text("¥100")
    screenshot(guest, "live-session-paid-375")

    guest.locator("[data-hang-up]").click()
    guest.wait_for_url(f"{base}/live/sessions/{session.pk}/summary/")
    charge = Charge.objects.get(session_id=session.pk)
    assert (charge.free_seconds, charge.amount_yen) == (60, 100)
    # her first session used the first-session terms: the page no longer offers them
    guest.goto(f"{base}/providers/{offering.provider_id}/")
    expect(guest.locator(".provider-offerings")).to_be_visible()
    expect(guest.locator("[data-first-terms]")).to_have_count(0)
