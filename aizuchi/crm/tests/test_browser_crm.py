"""Customer cards in real browsers, in Japanese, through the real server.

ゆき wrote to はるか once, and はるか keeps a note on her. ゆき calls: the ring on the
standby console shows her card before はるか answers. After the call はるか writes a note
and sets the tier in one step, then the type on the card. The next day the daily job
suggests a thank-you; はるか writes it from a template, and ゆき reads it in the thread.

Screenshots at 375 px and 1200 px go to test-results/screenshots/crm-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.crm.models import Card
from aizuchi.live.models import Session
from aizuchi.messaging.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "メッセージで仕事の悩みを少し。夜型"


def _world():
    from aizuchi.crm.services import cards
    from aizuchi.messaging.tests.factories import free_messages, send

    offering = OfferingFactory(
        provider__user=UserFactory(email="haruka@aizuchi.example"),
        provider__display_name="はるか",
        price_per_minute=100,
    )
    provider = offering.provider
    free_messages(provider, count=3)
    customer = UserFactory(email="yuki@aizuchi.example", display_name="ゆき")
    fund(customer, 3000)
    send(customer, provider, "はじめまして。今度お話ししてもいいですか")
    cards.note_add(provider=provider, customer_id=customer.pk, text=NOTE)
    return offering, customer


def test_ring_card_after_call_suggestion_and_follow_up(asgi_server, browser):
    offering, customer = in_worker(_world)
    provider = offering.provider
    base = asgi_server.url

    host = browser_log_in(browser, base, "haruka@aizuchi.example")
    host.goto(base + "/live/console/")
    host.locator("[data-state=open]").click()
    expect(host.locator("[data-state=open]")).to_have_attribute("aria-pressed", "true")

    # The ring shows the card before answering.
    guest = browser_log_in(browser, base, "yuki@aizuchi.example", width=375)
    guest.goto(f"{base}/providers/{provider.pk}/")
    guest.locator(".provider-offerings form.offering-start button").click()
    expect(guest.locator("[data-session]")).to_have_attribute("data-phase", "ringing")
    session = Session.objects.get(customer=customer)
    ring = host.locator(f"[data-ring='{session.pk}']")
    expect(ring.locator("[data-crm-brief]")).to_contain_text(NOTE)
    expect(ring.locator("[data-crm-brief]")).to_contain_text("新規")
    screenshot(host, "crm-ring", widths=(375, 1200))
    ring.locator("[data-ring-accept]").click()
    expect(host.locator("[data-session]")).to_have_attribute("data-phase", "live")
    expect(host.locator(".crm-side [data-crm-brief]")).to_contain_text(NOTE)
    guest.locator("[data-text]").fill("こんばんは。仕事のことで少し")
    guest.locator("[data-send]").click()
    expect(host.locator("[data-messages] .bubble.them .chat-text")).to_have_text(
        "こんばんは。仕事のことで少し"
    )
    guest.locator("[data-hang-up]").click()
    host.wait_for_url(f"{base}/live/sessions/{session.pk}/summary/")

    # After hanging up: a note and the tier in one step.
    after = host.locator("[data-after-call]")
    expect(after).to_contain_text("ゆきさんについてのメモ")
    after.locator("textarea[name=text]").fill("転職で迷っている。次は相談寄りで")
    after.locator("select[name=tier]").select_option(label="大切")
    screenshot(host, "crm-after-call", widths=(375, 1200))
    after.locator("button[type=submit]").click()
    expect(host.locator(".flash")).to_contain_text("ゆきさんのカードに保存しました。")

    # The type and style on the card.
    host.goto(f"{base}/customers/c/{customer.pk}/")
    host.locator("select[name=personality_model]").select_option(label="主機能(4タイプ)")
    host.locator("select[name=personality_type]").select_option(label="感情")
    host.locator("select[name=style]").select_option(label="相談")
    host.locator("button", has_text="カードを保存").click()
    expect(host.locator(".flash")).to_contain_text("カードを保存しました。")
    expect(host.locator(".crm-notes")).to_contain_text("転職で迷っている")
    screenshot(host, "crm-card", widths=(375, 1200))
    card = Card.objects.get(relationship__customer=customer)
    assert (card.tier, card.personality_type, card.style) == (2, "F", "consult")

    # The next day, the job suggests a thank-you.
    def next_day():
        from aizuchi.crm.services.followups import template_save
        from aizuchi.crm.services.suggestions import suggestions_compute

        template_save(
            provider=provider,
            name="お礼",
            body="{name}さん、昨日はありがとうございました。またいつでもどうぞ。{my_name}",
        )
        return suggestions_compute(now=timezone.now() + timedelta(hours=20))

    assert in_worker(next_day) == 1
    host.goto(f"{base}/customers/")
    suggestion = host.locator("[data-suggestions]")
    expect(suggestion).to_contain_text("ゆき")
    expect(suggestion).to_contain_text("昨日はじめてセッションをしました")
    screenshot(host, "crm-list", widths=(375, 1200))
    suggestion.locator("a", has_text="フォローを書く").click()
    host.locator("a", has_text="お礼").click()
    expect(host.locator("textarea[name=body]")).to_have_value(
        "{name}さん、昨日はありがとうございました。またいつでもどうぞ。{my_name}"
    )
    screenshot(host, "crm-follow-up", widths=(375, 1200))
    host.locator("[data-followup-form] button[type=submit]").click()
    expect(host.locator(".flash")).to_contain_text("フォローを送りました。")
    host.goto(f"{base}/customers/")
    expect(host.locator("[data-suggestions]")).to_have_count(0)

    # ゆき reads it in the thread.
    guest.goto(f"{base}/messages/")
    guest.locator(".thread-row a, a[href*='/messages/t/']").first.click()
    expect(guest.locator(".message-list")).to_contain_text(
        "ゆきさん、昨日はありがとうございました。またいつでもどうぞ。はるか"
    )
    screenshot(guest, "crm-follow-up-read", widths=(375,))
    assert Message.objects.filter(thread__customer=customer).count() == 2
