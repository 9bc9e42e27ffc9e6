"""Signing in through the real login page, for the browser tests of every app."""

from __future__ import annotations

from playwright.sync_api import expect

from .factories import PASSWORD


def browser_log_in(browser, base_url: str, email: str, *, width: int = 1200):
    """A new Japanese, Tokyo-time browser context signed in as ``email`` (the factories'
    password) through the real login page; returns its page."""
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("details.dropdown summary")).to_be_visible()
    return page
