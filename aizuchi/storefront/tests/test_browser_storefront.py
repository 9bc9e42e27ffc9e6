"""A provider builds their page in a real Chromium; a customer finds it by a Japanese
word and keeps it as a favourite."""

import pytest
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.storefront.models import ConceptVersion, Favourite, Offering, Provider
from aizuchi.storefront.services.profile import provider_open

from .mediafiles import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_provider_builds_a_page_and_a_customer_finds_and_keeps_it(asgi_server, browser, tmp_path):
    # Other storefronts, so the search has something to leave out. Opened in a worker
    # thread: this one runs Playwright's event loop, where after-commit pushes cannot.
    def open_others():
        for n, concept in enumerate(
            ["仕事の愚痴、なんでも聞きます", "雑談しましょう、夜ふかし歓迎"]
        ):
            provider_open(
                user=UserFactory(),
                display_name=f"ほかの聞き手{n}",
                concept=concept,
                category_slugs=["shigoto"],
            )

    in_worker(open_others)
    hana = UserFactory(email="hana@aizuchi.example", display_name="はな")
    UserFactory(email="ken@aizuchi.example", display_name="けん")

    # --- The provider opens a storefront and builds the page. ---------------------------
    page = browser_log_in(browser, asgi_server.url, "hana@aizuchi.example")
    page.goto(asgi_server.url + "/providers/open/")
    # A full-width bar is typed; names are stored NFKC-normalised (core.names).
    page.locator("input[name=display_name]").fill("はな｜夜の聞き手")
    page.locator("input[name=concept]").fill("夜でも、ゆっくり聞きます")
    page.locator("input[name=categories][value=keicho]").check()
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("はな|夜の聞き手")

    # Profile: a new concept starts a new version; the description mentions 恋愛.
    page.goto(asgi_server.url + "/providers/me/profile/")
    page.locator("input[name=concept]").fill("失恋のあとの夜に、寄り添います")
    page.locator("textarea[name=description]").fill(
        "恋愛や失恋の話を、否定せずに最後まで聞きます。\n夜10時から待機しています。"
    )
    page.locator("input[name=categories][value=renai]").check()
    page.locator("input[name=tags]").fill("失恋、夜型")
    # An empty concept is refused with a message, and nothing is saved.
    concept = page.locator("input[name=concept]")
    concept.fill("")
    page.locator("form.profile-form button[type=submit]").click()
    expect(page.locator("form.profile-form")).to_contain_text("コンセプト")
    assert Provider.objects.get(user=hana).concept == "夜でも、ゆっくり聞きます"
    page.locator("input[name=concept]").fill("失恋のあとの夜に、寄り添います")
    page.locator("textarea[name=description]").fill(
        "恋愛や失恋の話を、否定せずに最後まで聞きます。\n夜10時から待機しています。"
    )
    page.locator("input[name=tags]").fill("失恋、夜型")
    page.locator("form.profile-form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("失恋のあとの夜に、寄り添います")
    provider = Provider.objects.get(user=hana)
    assert list(provider.concepts.order_by("number").values_list("text", flat=True)) == [
        "夜でも、ゆっくり聞きます",
        "失恋のあとの夜に、寄り添います",
    ]
    assert ConceptVersion.objects.filter(provider=provider).count() == 2

    # Prices and terms: chat at 90 yen a minute, the first 30 minutes free, up to 60.
    page.goto(asgi_server.url + "/providers/me/offerings/")
    page.locator("input[name=chat-price_per_minute]").fill("90")
    page.locator("input[name=chat-first_free_minutes]").fill("30")
    page.locator("input[name=chat-first_session_cap_minutes]").fill("60")
    page.locator("input[name=chat-is_active]").check()
    page.locator("form:has(input[name=chat-price_per_minute]) button[type=submit]").click()
    expect(page.locator("main")).not_to_contain_text("エラー")
    chat = Offering.objects.get(provider=provider, channel="chat")
    assert (chat.price_per_minute, chat.first_free_minutes, chat.first_session_cap_minutes) == (
        90,
        30,
        60,
    )

    # Media: a photo (previewed before upload), a video link; a non-video link is refused.
    photo = tmp_path / "me.png"
    photo.write_bytes(image_bytes("PNG", size=(640, 480)))
    page.goto(asgi_server.url + "/providers/me/media/")
    page.locator("input[name=images]").set_input_files(str(photo))
    page.locator("form.media-upload button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("1 / 10")
    page.locator("input[name=url]").fill("https://example.com/not-a-video")
    page.locator("form.media-video-form button[type=submit]").click()
    expect(page.locator("form.media-video-form")).to_contain_text("YouTube")
    assert provider.videos.count() == 0
    page.locator("input[name=url]").fill("https://youtu.be/dQw4w9WgXcQ")
    page.locator("form.media-video-form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("1 / 10")
    assert provider.videos.get().video_id == "dQw4w9WgXcQ"
    screenshot(page, "storefront-media")

    # The public page shows it all; the video stays a placeholder until played.
    page.goto(asgi_server.url + f"/providers/{provider.pk}/")
    expect(page.locator("main")).to_contain_text("初回30分無料")
    thumbnail = page.locator(".provider-main img").first
    expect(thumbnail).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", thumbnail.element_handle()) > 0
    assert page.locator("iframe").count() == 0
    screenshot(page, "storefront-provider-page")

    # --- A customer finds the page by a two-character Japanese word. -------------------
    customer = browser_log_in(browser, asgi_server.url, "ken@aizuchi.example")
    customer.goto(asgi_server.url + "/")
    customer.locator("input[name=q]").first.fill("恋愛")
    customer.locator("input[name=q]").first.press("Enter")
    results = customer.locator(".provider-card")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("はな|夜の聞き手")
    expect(results.first.locator("mark").first).to_have_text("恋愛")
    screenshot(customer, "storefront-search")

    results.first.get_by_role("link", name="はな|夜の聞き手").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("はな|夜の聞き手")
    customer.locator(".favourite-button").click()
    expect(customer.locator(".favourite-button")).to_have_attribute("aria-pressed", "true")
    assert Favourite.objects.filter(customer__email="ken@aizuchi.example").count() == 1

    customer.goto(asgi_server.url + "/providers/favourites/")
    expect(customer.locator("main")).to_contain_text("はな|夜の聞き手")

    # The provider sees that one person keeps them.
    page.goto(asgi_server.url + "/providers/me/profile/")
    expect(page.locator(".manage-nav")).to_contain_text("1")
    page.context.close()
    customer.context.close()
