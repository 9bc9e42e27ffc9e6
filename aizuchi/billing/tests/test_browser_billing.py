"""Money in a real Chromium: a customer buys points through the test card checkout and
pays a postpaid invoice with them; the provider asks for a payout; staff approve and send
it; the provider sees it paid."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from aizuchi.accounts.tests.factories import PASSWORD, UserFactory
from aizuchi.billing.models import Invoice, Payment, PayoutRequest
from aizuchi.billing.services import charges
from aizuchi.storefront.models import Offering
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import OfferingFactory, earnings_yen, session_for, wallet_yen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = settings.BASE_DIR / "test-results" / "screenshots"
WIDTHS = (1200, 375)


def _shots(page: Page, name: str) -> None:
    """Full-page screenshots at a desktop and a phone width; the phone one must not
    scroll sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top of the shot
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"billing-{name}-{width}.png"), full_page=True)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} scrolls sideways at 375px by {overflow}px"
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def _log_in(browser: Browser, base_url: str, email: str) -> Page:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("details.dropdown summary")).to_be_visible()
    return page


def test_points_an_invoice_and_a_payout_through_the_pages(asgi_server, browser):
    # Made in a worker thread: this one runs Playwright's event loop, where the
    # after-commit pushes of the services cannot run.
    def setup():
        customer = UserFactory(email="sora@aizuchi.example", display_name="そら")
        provider = ProviderFactory(
            user=UserFactory(email="hana@aizuchi.example"), display_name="はな｜夜の聞き手"
        )
        UserFactory(email="staff@aizuchi.example", display_name="運営", is_staff=True)
        offering = OfferingFactory(
            provider=provider, price_per_minute=100, payment=Offering.Payment.POSTPAID
        )
        charges.session_charge(session=session_for(offering, customer), billable_seconds=20 * 60)
        # someone else's invoice stays unpaid: the provider sees it owed
        other = UserFactory(display_name="けん")
        charges.session_charge(session=session_for(offering, other), billable_seconds=10 * 60)
        return customer, provider

    with ThreadPoolExecutor(1) as pool:
        customer, provider = pool.submit(setup).result()
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.outstanding_yen == 2000
    unpaid = Invoice.objects.exclude(customer=customer).get()

    # --- The customer buys ¥3,000 of points with the test card. --------------------------
    page = _log_in(browser, asgi_server.url, "sora@aizuchi.example")
    page.goto(asgi_server.url + "/billing/wallet/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("[data-wallet-balance]")).to_have_text("¥0")
    _shots(page, "wallet-empty")
    page.locator("input[name=gateway][value=test]").check()
    page.locator("button[name=quick_amount][value='3000']").click()
    page.wait_for_url("**/billing/gateways/test/checkout/*/")
    payment = Payment.objects.get(customer=customer)
    assert (payment.amount_yen, payment.gateway, payment.status) == (3000, "test", "pending")
    assert page.url.endswith(f"/checkout/{payment.token}/")
    expect(page.locator(".checkout h1")).to_have_text("¥3,000")
    _shots(page, "checkout")
    page.locator("form:has(input[name=outcome][value=succeeded]) button").click()
    expect(page).to_have_url(f"{asgi_server.url}/billing/payments/{payment.pk}/")
    expect(page.locator(".status-succeeded")).to_be_visible()
    _shots(page, "payment-received")
    page.goto(asgi_server.url + "/billing/wallet/")
    expect(page.locator("[data-wallet-balance]")).to_have_text("¥3,000")
    assert wallet_yen(customer) == 3000
    _shots(page, "wallet")

    # --- ... and pays the postpaid invoice with points. -----------------------------------
    page.goto(asgi_server.url + "/billing/invoices/")
    _shots(page, "invoices")
    page.get_by_role("link", name=invoice.number).click()
    expect(page.locator("[data-outstanding]")).to_have_text("¥2,000")
    expect(page.locator("input[name=method][value=points]")).to_be_checked()
    expect(page.locator("input[name=amount_yen]")).to_have_value("2000")
    _shots(page, "invoice-open")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1 .status-succeeded")).to_be_visible()
    expect(page.locator("[data-outstanding]")).to_have_text("¥0")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert wallet_yen(customer) == 1000
    _shots(page, "invoice-paid")
    page.get_by_role("link", name="内訳を見る").click()
    expect(page.locator("[data-charge-amount]")).to_have_text("¥2,000")
    _shots(page, "charge")
    page.goto(asgi_server.url + f"/billing/receipts/{payment.pk}/")
    expect(page.locator(".receipt-amount")).to_have_text("¥3,000-")
    _shots(page, "receipt")
    page.context.close()

    # --- The provider sees the earnings and asks for them. --------------------------------
    provider_page = _log_in(browser, asgi_server.url, "hana@aizuchi.example")
    provider_page.goto(asgi_server.url + "/billing/earnings/")
    # 80 % of ¥2,000 and of ¥1,000; the ¥1,000 is still owed
    expect(provider_page.locator("[data-earnings]")).to_have_text("¥2,400")
    expect(provider_page.locator(".money-table")).to_contain_text("そら")
    card = provider_page.locator(".invoice-card", has_text=unpaid.number)
    expect(card).to_contain_text("けん")
    card.locator("summary").click()
    expect(card.locator("input[name=amount_yen]")).to_have_value("1000")
    _shots(provider_page, "earnings")
    provider_page.locator("form.payout-form input[name=amount_yen]").fill("2400")
    provider_page.locator("form.payout-form button[type=submit]").click()
    expect(provider_page.locator(".status-requested")).to_be_visible()
    expect(provider_page.locator("[data-earnings]")).to_have_text("¥0")
    payout = PayoutRequest.objects.get()
    assert (payout.provider_id, payout.amount_yen) == (provider.pk, 2400)
    _shots(provider_page, "earnings-requested")

    # --- Staff approve it and record the transfer. ----------------------------------------
    staff = _log_in(browser, asgi_server.url, "staff@aizuchi.example")
    staff.goto(asgi_server.url + "/billing/staff/")
    card = staff.locator(".invoice-card", has_text="はな｜夜の聞き手")
    expect(card).to_contain_text("¥2,400")
    _shots(staff, "staff-requested")
    card.locator(f"form[action='/billing/staff/payouts/{payout.pk}/approve/'] button").click()
    card = staff.locator(".invoice-card", has_text="はな｜夜の聞き手")
    expect(card.locator(".status-approved")).to_be_visible()
    card.locator("input[name=reference]").fill("振込 12/3")
    _shots(staff, "staff-approved")
    card.locator(f"form[action='/billing/staff/payouts/{payout.pk}/paid/'] button").click()
    expect(staff.locator(".invoice-card")).to_have_count(0)
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == ("paid", "振込 12/3")
    staff.context.close()

    # --- The provider sees it paid. -------------------------------------------------------
    provider_page.reload()
    expect(provider_page.locator(".status-paid")).to_be_visible()
    assert earnings_yen(provider) == 0
    _shots(provider_page, "earnings-paid")
    provider_page.locator(".statement-months a").first.click()
    expect(provider_page.locator(".money-table tbody tr")).to_have_count(3)
    _shots(provider_page, "statement")
    provider_page.context.close()
