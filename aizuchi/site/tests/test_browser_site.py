"""A newcomer signs up, confirms, logs in and switches language in a real Chromium."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from aizuchi.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = settings.BASE_DIR / "test-results" / "screenshots"


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_sign_up_confirm_log_in_and_switch_language(asgi_server, page: Page):
    page.goto(asgi_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "話したいときに、聞いてくれる人がいる。"
    )
    _shot(page, "home-ja")

    # Sign up with a nickname, agreeing to the terms.
    page.get_by_role("button", name="新規登録").click()  # the header link styled as a button
    _shot(page, "signup")
    page.get_by_label("メールアドレス").fill("hana@aizuchi.example")
    page.get_by_label("ニックネーム").fill("はな")
    page.get_by_label("パスワード", exact=True).fill("quiet-river-42-evening")
    page.get_by_label("パスワード (再入力)").fill("quiet-river-42-evening")
    # Without the consent nothing is created and the box says why.
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".field-error")).to_contain_text("同意が必要です")
    assert not User.objects.filter(email="hana@aizuchi.example").exists()
    page.get_by_label("パスワード", exact=True).fill("quiet-river-42-evening")
    page.get_by_label("パスワード (再入力)").fill("quiet-river-42-evening")
    page.get_by_label("利用規約とプライバシーポリシーに同意します").check()
    page.locator("main form button[type=submit]").click()
    _shot(page, "after-signup")
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("メールをご確認ください")

    # The mail is opened on another device (a new browser): confirming signs in there.
    [mail] = [m for m in asgi_server.sent_mail() if m["To"] == "hana@aizuchi.example"]
    body = mail.get_content()
    assert body.startswith("はなさん、Aizuchi にご登録いただきありがとうございます。")
    link = re.search(r"(/accounts/confirm-email/\S+)", body).group(1)
    phone = page.context.browser.new_context(
        locale="ja-JP", viewport={"width": 375, "height": 740}
    ).new_page()
    phone.goto(asgi_server.url + link)
    _shot(phone, "confirm-email-phone")
    # The password proves it is the person who signed up, not only the mailbox's owner.
    phone.get_by_label("パスワード", exact=True).fill("quiet-river-42-evening")
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("details.dropdown summary")).to_have_text("はな")
    # The welcome notification arrives live on the badge.
    expect(phone.locator("[data-unread-count]")).to_have_text("1")
    _shot(phone, "confirmed-phone")
    phone.context.close()
    user = User.objects.get(email="hana@aizuchi.example")
    assert user.terms_accepted_at is not None

    # The first browser is not signed in by someone else's click: it logs in itself.
    page.goto(asgi_server.url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill("hana@aizuchi.example")
    page.get_by_label("パスワード", exact=True).fill("quiet-river-42-evening")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("はなさん、おかえりなさい。")

    # Log out, then log in again with the password.
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="ログアウト").click()
    page.get_by_role("link", name="ログイン").click()
    page.get_by_label("メールアドレス").fill("hana@aizuchi.example")
    page.get_by_label("パスワード", exact=True).fill("quiet-river-42-evening")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("details.dropdown summary")).to_be_visible()

    # Switch to English: the page and the saved preference follow.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "When you want to talk, someone is here to listen."
    )
    expect(page.get_by_role("link", name="Find a listener").first).to_be_visible()
    _shot(page, "home-en")
    assert User.objects.get(email="hana@aizuchi.example").language == "en"

    # And back to Japanese.
    page.get_by_role("button", name="日本語").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "話したいときに、聞いてくれる人がいる。"
    )


def test_home_fits_a_phone_screen(asgi_server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="ja-JP")
    page = context.new_page()
    page.goto(asgi_server.url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px screen"
    _shot(page, "home-phone")
    context.close()
