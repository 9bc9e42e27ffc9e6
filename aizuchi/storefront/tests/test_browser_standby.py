"""A provider edits the weekly standby plan in a real Chromium: rows are added to a day and
removed in place, and the plan saved is what the page showed."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.storefront.models import StandbyWindow
from aizuchi.storefront.services.profile import provider_open
from aizuchi.storefront.services.standby import standby_plan_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MON, WED, FRI = 0, 2, 4


def _plan(provider):
    return list(
        StandbyWindow.objects.filter(provider=provider)
        .order_by("weekday", "start_time")
        .values_list("weekday", "start_time", "minutes", "kind")
    )


def test_a_provider_adds_and_removes_windows_in_place(asgi_server, browser):
    user = UserFactory(email="mio@aizuchi.example", display_name="みお")

    def open_with_a_plan():
        provider = provider_open(
            user=user, display_name="みお", concept="夜の話し相手", category_slugs=[]
        )
        standby_plan_set(
            provider=provider,
            windows=[
                {"weekday": MON, "start_time": dt.time(21), "minutes": 120, "kind": "open"},
                {"weekday": FRI, "start_time": dt.time(22), "minutes": 90, "kind": "appointment"},
            ],
        )
        return provider

    provider = in_worker(open_with_a_plan)
    page = browser_log_in(browser, asgi_server.url, "mio@aizuchi.example")
    page.goto(asgi_server.url + "/providers/me/standby/")
    rows = page.locator("[data-standby-row]")
    expect(rows).to_have_count(2)
    # No "save to get more rows" note, no checkbox to remove: buttons that act at once.
    expect(page.locator("main")).not_to_contain_text("保存すると")
    expect(page.locator("[data-standby-remove-box]").first).to_be_hidden()
    screenshot(page, "standby-plan", widths=(375, 1200))

    # Two windows on Wednesday, added in place (no round trip: the URL and other rows stay).
    wednesday = page.locator('[data-standby-day="2"]')
    expect(wednesday.locator("[data-standby-none]")).to_be_visible()
    wednesday.get_by_role("button", name="枠を追加").click()
    expect(wednesday.locator("[data-standby-row]")).to_have_count(1)
    expect(wednesday.locator("[data-standby-none]")).to_be_hidden()
    wednesday.locator('input[type="time"]').last.fill("19:30")
    wednesday.locator('input[name$="-minutes"]').last.fill("60")
    wednesday.get_by_role("button", name="枠を追加").click()
    wednesday.locator("[data-standby-row]").last.get_by_role("button", name="削除").click()
    expect(wednesday.locator("[data-standby-row]")).to_have_count(1)
    # Monday's window goes.
    monday = page.locator('[data-standby-day="0"]')
    monday.get_by_role("button", name="削除").click()
    expect(monday.locator("[data-standby-row]")).to_have_count(0)
    expect(monday.locator("[data-standby-none]")).to_be_visible()
    screenshot(page, "standby-plan-edited", widths=(375, 1200))

    page.get_by_role("button", name="待機予定を保存する").click()
    expect(page.locator("main")).to_contain_text("待機予定を保存しました")
    assert _plan(provider) == [
        (WED, dt.time(19, 30), 60, "open"),
        (FRI, dt.time(22), 90, "appointment"),
    ]

    # A bad length is a field error under its row, in Japanese; nothing changes.
    friday = page.locator('[data-standby-day="4"]')
    friday.locator('input[name$="-minutes"]').fill("5")
    page.get_by_role("button", name="待機予定を保存する").click()
    expect(friday.locator(".field-error")).to_be_visible()
    screenshot(page, "standby-plan-error", widths=(375, 1200))
    assert _plan(provider)[1] == (FRI, dt.time(22), 90, "appointment")
    page.context.close()
