"""Every table at 375 px fits or becomes cards: nothing scrolls sideways, and each value
(期日, 金額, 状態, 請求額, 受取額) is on the screen with its column's name beside it."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from aizuchi.accounts.tests.browser import browser_log_in
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.models import Charge, Invoice
from aizuchi.billing.services import charges, payouts
from aizuchi.core.testing import in_worker, screenshot
from aizuchi.storefront.models import Offering
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import OfferingFactory, session_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every cell inside the viewport, every labelled cell showing its label; the page itself
# no wider than the screen.
CHECK = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const problems = [];
  if (root.scrollWidth > width) problems.push("page " + root.scrollWidth);
  document.querySelectorAll("table td").forEach((cell) => {
    const box = cell.getBoundingClientRect();
    const text = cell.textContent.trim().slice(0, 20);
    if (box.right > width + 0.5 || box.left < -0.5) problems.push("cell " + text);
    const label = cell.dataset.label;
    const shown = getComputedStyle(cell, "::before").content;
    if (label && shown !== JSON.stringify(label)) problems.push("label " + label);
  });
  return problems;
}"""


def _fits(page: Page, url: str, name: str) -> None:
    page.goto(url)
    assert page.locator("table").count() >= 1, url
    assert page.evaluate(CHECK) == [], url
    screenshot(page, f"table-{name}-375")


def test_every_table_fits_a_phone(asgi_server, browser):
    def setup():
        customer = UserFactory(email="mio@aizuchi.example", display_name="みお")
        provider = ProviderFactory(
            user=UserFactory(email="kai@aizuchi.example"), display_name="かい｜夜の聞き手"
        )
        staff = UserFactory(email="ops@aizuchi.example", display_name="運営", is_staff=True)
        offering = OfferingFactory(
            provider=provider, price_per_minute=120, payment=Offering.Payment.POSTPAID
        )
        for minutes in (25, 12):
            charges.session_charge(
                session=session_for(offering, customer), billable_seconds=minutes * 60
            )
        payouts.commission_rate_set(user=staff, provider_id=provider.pk, rate_percent="25")
        payouts.payout_request(provider=provider, user=provider.user, amount_yen=1000, key="p" * 20)
        return provider

    provider = in_worker(setup)
    base = asgi_server.url
    now = timezone.now()
    charge = Charge.objects.filter(customer__email="mio@aizuchi.example").first()
    assert Invoice.objects.count() == 2

    customer = browser_log_in(browser, base, "mio@aizuchi.example", width=375)
    _fits(customer, f"{base}/billing/invoices/", "invoices")
    _fits(customer, f"{base}/billing/charges/{charge.pk}/", "charge")
    _fits(customer, f"{base}/live/sessions/", "sessions")
    # the values the issue found hidden are on screen, each with its name
    customer.goto(f"{base}/billing/invoices/")
    due = customer.locator("td[data-label='お支払い期日']").first
    box = due.bounding_box()
    assert due.is_visible()
    assert box is not None
    assert box["x"] + box["width"] <= 375

    host = browser_log_in(browser, base, "kai@aizuchi.example", width=375)
    _fits(host, f"{base}/billing/earnings/", "earnings")
    _fits(host, f"{base}/billing/earnings/{now:%Y}-{now.month}/", "statement")
    host.goto(f"{base}/billing/earnings/")
    received = host.locator("td[data-label='あなたの受取額']").first
    box = received.bounding_box()
    assert received.is_visible()
    assert box is not None
    assert box["x"] + box["width"] <= 375
    staff = browser_log_in(browser, base, "ops@aizuchi.example", width=375)
    _fits(staff, f"{base}/billing/staff/commission/", "staff-commission")
    assert provider.pk
