"""An online group talk in four real Chromium contexts through the real server: the host
and three attendees chat, everyone reads everyone, voice connects among the three
attendees (fake microphones, loopback ICE), and the host mutes and then removes one."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.events.models import Event, Registration, RoomMessage
from aizuchi.events.services.registrations import event_register
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import event_make, key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = {
    "aoi@aizuchi.example": "あおい",
    "ren@aizuchi.example": "れん",
    "mio@aizuchi.example": "みお",
}


def test_an_online_group_talk_with_three_attendees(asgi_server, browser):
    def setup():
        provider = ProviderFactory(
            user=UserFactory(email="sora@aizuchi.example", display_name="そら"),
            display_name="そら",
        )
        event = event_make(
            provider,
            title="夜のおしゃべり会",
            kind=Event.Kind.ONLINE,
            price_yen=0,
            capacity=5,
            place="",
            meeting_point="",
            starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(minutes=2),
        )
        for email, name in NAMES.items():
            event_register(
                customer=UserFactory(email=email, display_name=name), event_id=event.pk, key=key()
            )
        return event

    event = in_worker(setup)
    base = asgi_server.url
    room = f"{base}/events/{event.pk}/room/"

    # A stranger gets the page that is not there.
    in_worker(lambda: UserFactory(email="nanashi@aizuchi.example"))
    stranger = browser_log_in(browser, base, "nanashi@aizuchi.example")
    assert stranger.goto(room).status == 404

    host = browser_log_in(browser, base, "sora@aizuchi.example")
    host.goto(room)
    guests = []
    for i, email in enumerate(NAMES):
        page = browser_log_in(browser, base, email, width=375 if i == 0 else 1200)
        page.goto(room)
        expect(page.locator("[data-members] li")).to_have_count(4)
        guests.append(page)
    expect(host.locator("[data-status]")).to_have_text("接続しました。")

    # Chat reaches everyone.
    guests[0].locator("[data-text]").fill("はじめまして、あおいです。よろしくお願いします")
    guests[0].locator("[data-send]").click()
    host.locator("[data-text]").fill("ようこそ。今日はゆっくり話しましょう")
    host.locator("[data-send]").click()
    for page in (host, *guests):
        expect(page.locator("[data-messages] li")).to_have_count(2)
        expect(page.locator("[data-messages]")).to_contain_text("はじめまして、あおいです")
        expect(page.locator("[data-messages]")).to_contain_text(
            "ようこそ。今日はゆっくり話しましょう"
        )
    assert in_worker(lambda: RoomMessage.objects.filter(event_id=event.pk).count()) == 2

    # Voice connects for the three attendees: each hears the two others.
    for page in guests:
        page.locator("[data-voice-join]").click()
        expect(page.locator("[data-voice]")).to_have_attribute("data-state", "on")
    for page in guests:
        expect(page.locator("[data-voice]")).to_have_attribute(
            "data-connected", "2", timeout=20_000
        )
        page.wait_for_function(
            "() => Number(document.querySelector('[data-voice]').dataset.bytesIn) > 4000",
            timeout=20_000,
        )
    expect(guests[1].locator("[data-voice-status]")).to_have_text("3人で音声がつながっています。")
    screenshot(guests[1], "events-room", widths=(375, 1200))
    screenshot(host, "events-room-host", widths=(1200,))

    # The host mutes みお: she reads on, but her messages are refused kindly...
    mio = in_worker(lambda: Registration.objects.get(customer__email="mio@aizuchi.example"))
    host.locator(f"[data-members] [data-member-id='{mio.customer_id}'] button").first.click()
    expect(guests[2].locator("[data-members]")).to_contain_text("みお (あなた・発言停止中)")
    guests[2].locator("[data-text]").fill("聞こえますか")
    guests[2].locator("[data-send]").click()
    expect(guests[2].locator("[data-error]")).to_have_text(
        "主催者によって発言が止められています。チャットを読むことはできます。"
    )
    # ...and removed, her page closes the room and she cannot come back in.
    host.once("dialog", lambda dialog: dialog.accept())
    host.locator(f"[data-members] [data-member-id='{mio.customer_id}'] button").nth(1).click()
    expect(guests[2].locator("[data-status]")).to_have_text("このルームには入れなくなりました。")
    expect(guests[0].locator("[data-members] li")).to_have_count(3)
    assert guests[2].goto(room).status == 404
    assert in_worker(lambda: RoomMessage.objects.filter(author_id=mio.customer_id).count()) == 0
