"""Money in a real Chromium: a customer buys points through the test card checkout and
pays a postpaid invoice with them; the provider asks for a payout; staff approve and send
it; the provider sees it paid."""

import pytest
from playwright.sync_api import expect

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.models import Invoice, Payment, PayoutRequest
from aizuchi.billing.services import charges
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.storefront.models import Offering
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import OfferingFactory, earnings_yen, session_for, wallet_yen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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

    customer, provider = in_worker(setup)
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.outstanding_yen == 2000
    unpaid = Invoice.objects.exclude(customer=customer).get()

    # --- The customer buys ¥3,000 of points with the test card. --------------------------
    page = browser_log_in(browser, asgi_server.url, "sora@aizuchi.example")
    page.goto(asgi_server.url + "/billing/wallet/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("[data-wallet-balance]")).to_have_text("0ポイント")
    screenshot(page, "billing-wallet-empty", widths=(1200, 375))
    page.locator("input[name=gateway][value=test]").check()
    page.locator("button[name=quick_amount][value='3000']").click()
    page.wait_for_url("**/billing/gateways/test/checkout/*/")
    payment = Payment.objects.get(customer=customer)
    assert (payment.amount_yen, payment.gateway, payment.status) == (3000, "test", "pending")
    assert page.url.endswith(f"/checkout/{payment.token}/")
    expect(page.locator(".checkout h1")).to_have_text("¥3,000")
    screenshot(page, "billing-checkout", widths=(1200, 375))
    page.locator("form:has(input[name=outcome][value=succeeded]) button").click()
    expect(page).to_have_url(f"{asgi_server.url}/billing/payments/{payment.pk}/")
    expect(page.locator(".status-succeeded")).to_be_visible()
    screenshot(page, "billing-payment-received", widths=(1200, 375))
    page.goto(asgi_server.url + "/billing/wallet/")
    expect(page.locator("[data-wallet-balance]")).to_have_text("3,000ポイント")
    assert wallet_yen(customer) == 3000
    screenshot(page, "billing-wallet", widths=(1200, 375))

    # --- ... and pays the postpaid invoice with points. -----------------------------------
    page.goto(asgi_server.url + "/billing/invoices/")
    screenshot(page, "billing-invoices", widths=(1200, 375))
    page.get_by_role("link", name=invoice.number).click()
    expect(page.locator("[data-outstanding]")).to_have_text("¥2,000")
    expect(page.locator("input[name=method][value=points]")).to_be_checked()
    expect(page.locator("input[name=amount_yen]")).to_have_value("2000")
    screenshot(page, "billing-invoice-open", widths=(1200, 375))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1 .status-succeeded")).to_be_visible()
    expect(page.locator("[data-outstanding]")).to_have_text("¥0")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert wallet_yen(customer) == 1000
    screenshot(page, "billing-invoice-paid", widths=(1200, 375))
    page.get_by_role("link", name="内訳を見る").click()
    expect(page.locator("[data-charge-amount]")).to_have_text("¥2,000")
    screenshot(page, "billing-charge", widths=(1200, 375))
    page.goto(asgi_server.url + f"/billing/receipts/{payment.pk}/")
    expect(page.locator(".receipt-amount")).to_have_text("¥3,000-")
    screenshot(page, "billing-receipt", widths=(1200, 375))
    page.context.close()

    # --- The provider sees the earnings and asks for them. --------------------------------
    provider_page = browser_log_in(browser, asgi_server.url, "hana@aizuchi.example")
    provider_page.goto(asgi_server.url + "/billing/earnings/")
    # 80 % of ¥2,000 and of ¥1,000; the ¥1,000 is still owed
    expect(provider_page.locator("[data-earnings]")).to_have_text("¥2,400")
    expect(provider_page.locator(".money-table")).to_contain_text("そら")
    card = provider_page.locator(".invoice-card", has_text=unpaid.number)
    expect(card).to_contain_text("けん")
    card.locator("summary").click()
    expect(card.locator("input[name=amount_yen]")).to_have_value("1000")
    screenshot(provider_page, "billing-earnings", widths=(1200, 375))
    provider_page.locator("form.payout-form input[name=amount_yen]").fill("2400")
    provider_page.locator("form.payout-form button[type=submit]").click()
    expect(provider_page.locator(".status-requested")).to_be_visible()
    expect(provider_page.locator("[data-earnings]")).to_have_text("¥0")
    payout = PayoutRequest.objects.get()
    assert (payout.provider_id, payout.amount_yen) == (provider.pk, 2400)
    screenshot(provider_page, "billing-earnings-requested", widths=(1200, 375))

    # --- Staff approve it and record the transfer. ----------------------------------------
    staff = browser_log_in(browser, asgi_server.url, "staff@aizuchi.example")
    staff.goto(asgi_server.url + "/billing/staff/")
    card = staff.locator(".invoice-card", has_text="はな｜夜の聞き手")
    expect(card).to_contain_text("¥2,400")
    screenshot(staff, "billing-staff-requested", widths=(1200, 375))
    card.locator(f"form[action='/billing/staff/payouts/{payout.pk}/approve/'] button").click()
    card = staff.locator(".invoice-card", has_text="はな｜夜の聞き手")
    expect(card.locator(".status-approved")).to_be_visible()
    card.locator("input[name=reference]").fill("振込 12/3")
    screenshot(staff, "billing-staff-approved", widths=(1200, 375))
    card.locator(f"form[action='/billing/staff/payouts/{payout.pk}/paid/'] button").click()
    expect(staff.locator(".invoice-card")).to_have_count(0)
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == ("paid", "振込 12/3")
    staff.context.close()

    # --- The provider sees it paid. -------------------------------------------------------
    provider_page.reload()
    expect(provider_page.locator(".status-paid")).to_be_visible()
    assert earnings_yen(provider) == 0
    screenshot(provider_page, "billing-earnings-paid", widths=(1200, 375))
    provider_page.locator(".statement-months a").first.click()
    expect(provider_page.locator(".money-table tbody tr")).to_have_count(3)
    screenshot(provider_page, "billing-statement", widths=(1200, 375))
    provider_page.context.close()
