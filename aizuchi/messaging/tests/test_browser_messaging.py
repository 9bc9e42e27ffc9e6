"""Direct messages in real browsers, in Japanese, through the real server.

The free-DM seeker, at phone width: a newcomer who is "not good on the phone" writes the
one free message from the provider's page, and the composer then prices the second one
plainly, offering a call now, a booking and a time kept for newcomers instead; the provider
blocks; the customer can no longer message, call or book, and hears only that.

The newcomer path: a provider is in a chat session with someone; a newcomer who tries to
chat is told she is busy, takes "send a message" from that refusal, and the message reaches
the provider live, on her session page, while the session goes on.

Screenshots at 375 px (and 1200 px) go to test-results/screenshots/messaging-*.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.booking.models import Booking
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.live.models import Session
from aizuchi.messaging.models import Message, Thread
from aizuchi.relationships.selectors import relationship_for

from .factories import message_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _free_dm_world():
    """はるか takes one free message from a newcomer, then ¥300 a message; she waits for
    callers (voice, ¥120 a minute) and keeps an evening for newcomers. ゆき has ¥1,000."""
    from aizuchi.booking.tests.factories import window
    from aizuchi.live.tests.factories import on_standby
    from aizuchi.storefront.services.standby import standby_plan_set

    offering = OfferingFactory(
        provider__user=UserFactory(email="haruka@aizuchi.example"),
        provider__display_name="はるか",
        channel="voice",
        price_per_minute=120,
    )
    provider = offering.provider
    message_policy(provider, "newcomers", mode="free", free_count=1, price_yen=300)
    standby_plan_set(
        provider=provider,
        windows=[window(d, 20, 0, 60, newcomers_only=True) for d in range(7)],
    )
    on_standby(provider)
    customer = UserFactory(email="yuki@aizuchi.example", display_name="ゆき")
    fund(customer, 1000)
    return provider, customer


def test_the_free_dm_seeker_at_phone_width(asgi_server, browser):
    provider, customer = in_worker(_free_dm_world)
    base = asgi_server.url
    guest = browser_log_in(browser, base, "yuki@aizuchi.example", width=375)
    guest.goto(f"{base}/providers/{provider.pk}/")
    box = guest.locator("[data-message-box]")
    expect(box).to_contain_text("無料メッセージはあと1通")
    box.locator("[data-send-message]").click()

    # Before sending: free, one of one left.
    quote = guest.locator("[data-quote]")
    expect(quote).to_contain_text("このメッセージは無料です。")
    expect(quote).to_contain_text("残り1通（1通中）")
    screenshot(guest, "messaging-composer-free", widths=(375, 1200))
    guest.locator("[data-text]").fill("電話はちょっと苦手で…メッセージでご相談してもいいですか？")
    guest.locator("[data-send]").click()
    guest.wait_for_url(f"{base}/messages/t/**")
    expect(guest.locator(".bubble.me .message-text")).to_have_text(
        "電話はちょっと苦手で…メッセージでご相談してもいいですか？"
    )

    # The second message is priced plainly, with the other ways in beside it.
    expect(quote).to_contain_text("無料メッセージ（1通）は送信済みです。")
    expect(quote).to_contain_text("このメッセージは300円分のポイントを使います。")
    expect(quote).to_contain_text("（保有ポイント：1,000円分）")
    expect(guest.locator("[data-send]")).to_have_text("300円で送信")
    alternatives = guest.locator("[data-alternatives]")
    expect(alternatives.locator("[data-step=call] a")).to_have_text("いますぐ通話・チャットする")
    expect(alternatives.locator("[data-step=book] a")).to_have_text("予約する")
    expect(alternatives.locator("[data-step=newcomer_slot] a")).to_have_text(
        "はじめての方向けの枠を予約する"
    )
    screenshot(guest, "messaging-second-priced", widths=(375, 1200))
    thread = Thread.objects.get(customer=customer)
    assert Message.objects.filter(thread=thread).count() == 1
    assert ledger.balance_yen(ledger.wallet(customer)) == 1000  # nothing charged yet

    # The provider reads it and blocks her, from the thread.
    host = browser_log_in(browser, base, "haruka@aizuchi.example", width=375)
    host.goto(f"{base}/messages/t/{thread.pk}/")
    expect(host.locator(".bubble.them .message-text")).to_contain_text("電話はちょっと苦手")
    host.locator(".thread-menu summary").click()
    host.locator("[data-block]").click()
    expect(host.locator("[data-blocked]")).to_contain_text("ゆきさんをブロックしています。")
    screenshot(host, "messaging-provider-blocked", widths=(375,))
    assert relationship_for(provider_id=provider.pk, customer_id=customer.pk).is_blocked

    # She can no longer write: a neutral notice, no composer.
    guest.reload()
    expect(guest.locator("[data-refusals] [data-code=blocked]")).to_have_text(
        "はるかさんには、いまメッセージを送れません。"
    )
    expect(guest.locator("[data-text]")).to_have_count(0)
    screenshot(guest, "messaging-blocked-customer", widths=(375,))
    # nor call,
    guest.goto(f"{base}/providers/{provider.pk}/")
    expect(guest.locator("[data-message-refused]")).to_have_text(
        "はるかさんには、いまメッセージを送れません。"
    )
    guest.locator(".provider-offerings form.offering-start button").click()
    expect(guest.locator("[data-refusals] [data-code=blocked]")).to_be_visible()
    # nor book.
    guest.goto(f"{base}/booking/providers/{provider.pk}/")
    guest.locator("button.slot").first.click()
    expect(guest.locator("[data-refusals] [data-code=blocked]")).to_be_visible()
    assert not Session.objects.filter(customer=customer).exists()
    assert not Booking.objects.filter(customer=customer).exists()
    assert Message.objects.filter(thread=thread).count() == 1
    assert ledger.balance_yen(ledger.wallet(customer)) == 1000


def _busy_world():
    """あおい is in a chat session with めい (both on the session page soon); なな is new
    to her and has points."""
    from aizuchi.live.tests.factories import on_standby

    offering = OfferingFactory(
        provider__user=UserFactory(email="aoi@aizuchi.example"),
        provider__display_name="あおい",
        price_per_minute=100,
    )
    on_standby(offering.provider)
    first = UserFactory(email="mei@aizuchi.example", display_name="めい")
    fund(first, 3000)
    newcomer = UserFactory(email="nana@aizuchi.example", display_name="なな")
    fund(newcomer, 3000)
    return offering


def test_a_newcomers_message_reaches_a_provider_in_a_session_live(asgi_server, browser):
    offering = in_worker(_busy_world)
    provider = offering.provider
    base = asgi_server.url

    # あおい is on standby; めい calls in by chat and she answers: both on the session page.
    host = browser_log_in(browser, base, "aoi@aizuchi.example")
    host.goto(f"{base}/live/console/")
    expect(host.locator("[data-console]")).to_be_visible()
    host.locator("[data-state=open]").click()
    expect(host.locator("[data-state=open]")).to_have_attribute("aria-pressed", "true")
    first = browser_log_in(browser, base, "mei@aizuchi.example")
    first.goto(f"{base}/providers/{provider.pk}/")
    first.locator(".provider-offerings form.offering-start button").click()
    expect(first.locator("[data-session]")).to_have_attribute("data-phase", "ringing")
    session = Session.objects.get(customer__email="mei@aizuchi.example")
    host.locator(f"[data-ring='{session.pk}'] [data-ring-accept]").click()
    expect(host.locator("[data-session]")).to_have_attribute("data-phase", "live")
    expect(first.locator("[data-session]")).to_have_attribute("data-phase", "live")

    # なな finds her busy, and takes "send a message" from the refusal.
    newcomer = browser_log_in(browser, base, "nana@aizuchi.example", width=375)
    newcomer.goto(f"{base}/providers/{provider.pk}/")
    newcomer.locator(".provider-offerings form.offering-start button").click()
    expect(newcomer.locator("[data-refusals] [data-code=busy]")).to_have_text(
        "あおいさんはいま、ほかの方とお話し中です。"
    )
    step = newcomer.locator("[data-step=message] a")
    expect(step).to_have_text("メッセージを送る")
    screenshot(newcomer, "messaging-busy-refusal", widths=(375,))
    step.click()
    expect(newcomer.locator("[data-quote]")).to_contain_text("このメッセージは無料です。")
    newcomer.locator("[data-text]").fill("お話し中にすみません。次に空いたらお話ししたいです")
    newcomer.locator("[data-send]").click()
    newcomer.wait_for_url(f"{base}/messages/t/**")

    # It reaches あおい on her session page, live, while the session goes on.
    toast = host.locator("[data-toasts] .toast")
    expect(toast).to_contain_text("なな")
    expect(toast).to_contain_text("お話し中にすみません。次に空いたらお話ししたいです")
    expect(host.locator("[data-messages-unread]")).to_have_text("1")
    expect(host.locator("[data-session]")).to_have_attribute("data-phase", "live")
    expect(first.locator("[data-session]")).to_have_attribute("data-phase", "live")
    screenshot(host, "messaging-toast-in-session")
    session.refresh_from_db()
    assert session.status == Session.Status.ACTIVE
    assert not Session.objects.filter(customer__email="nana@aizuchi.example").exists()

    # Opening it from the toast, she answers; なな's open thread shows it live.
    thread = Thread.objects.get(customer__email="nana@aizuchi.example")
    reader = browser_log_in(browser, base, "aoi@aizuchi.example", width=375)
    reader.goto(f"{base}/messages/t/{thread.pk}/")
    expect(reader.locator("[data-thread]")).to_have_attribute("data-live", "on")
    expect(newcomer.locator("[data-thread]")).to_have_attribute("data-live", "on")
    reader.locator("[data-text]").fill("ありがとうございます。終わったらお返事しますね")
    reader.locator("[data-send]").click()
    expect(newcomer.locator(".bubble.them .message-text")).to_have_text(
        "ありがとうございます。終わったらお返事しますね"
    )
    # the customer's page was open: it is read at once, and the provider sees that.
    expect(reader.locator(".bubble.me [data-read]")).to_be_visible()
    screenshot(newcomer, "messaging-thread-live", widths=(375, 1200))
    assert Thread.objects.get(pk=thread.pk).customer_unread == 0
