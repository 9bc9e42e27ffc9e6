"""The customer's money pages through the test client: points, payments, the sandbox
checkout and its callback, invoices, charges and receipts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.gateways.sandbox import SandboxGateway
from aizuchi.billing.models import Entry, Invoice, Payment
from aizuchi.billing.services import payments
from aizuchi.core.forms import KEY_INVALID
from aizuchi.core.idempotency import KEY_REUSED
from aizuchi.core.models import Operation

from .factories import (
    OfferingFactory,
    fund,
    key,
    postpaid_invoice,
    prepaid_charge,
    staff_user,
    wallet_yen,
)

pytestmark = pytest.mark.django_db

WALLET = reverse("billing:wallet")
CALLBACK = reverse("billing:gateway_callback", args=["test"])


@pytest.fixture
def customer():
    # Messages are checked in English; the Japanese pages are checked for their language.
    return UserFactory(language="en")


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def _start(customer, amount=3000, gateway="manual") -> Payment:
    return payments.points_purchase_start(
        customer=customer, amount_yen=amount, gateway_code=gateway, key=key()
    )


def _buy(client, **fields):
    return client.post(WALLET, {"gateway": "manual", "idempotency_key": key(), **fields})


def _field_error(html: str) -> str:
    """The text of the page's field errors (the messages under the inputs)."""
    return " ".join(re.findall(r'class="field-error" role="alert">([^<]*)<', html))


def _checkout_forms(html: str) -> list[tuple[str, dict[str, str]]]:
    """Each form of the sandbox checkout page: its action and its hidden fields."""
    forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    return [
        (action, dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body)))
        for action, body in forms
    ]


def _customer_urls(customer) -> dict[str, str]:
    """One of each of the customer's pages, with objects of their own behind them."""
    pending = _start(customer, 2000)
    settled = payments.payment_settle(payment=_start(customer, 3000))
    charge = prepaid_charge(customer)
    invoice = postpaid_invoice(customer)
    sandbox = _start(customer, 1000, gateway="test")
    return {
        "wallet": WALLET,
        "payment": reverse("billing:payment", args=[pending.pk]),
        "invoices": reverse("billing:invoices"),
        "invoice": reverse("billing:invoice", args=[invoice.pk]),
        "charge": reverse("billing:charge", args=[charge.pk]),
        "receipt": reverse("billing:receipt", args=[settled.pk]),
        "checkout": reverse("billing:sandbox_checkout", args=[sandbox.token]),
    }


# --- every page, both languages, and login ----------------------------------------------------


@pytest.mark.parametrize(("language", "heading"), [("ja", None), ("en", "Points")])
def test_every_page_renders_for_its_customer(client, language, heading):
    customer = UserFactory(language=language) if language != "ja" else UserFactory()
    assert customer.language == language  # Japanese unless a person chose otherwise
    urls = _customer_urls(customer)
    client.force_login(customer)
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert f'<html lang="{language}"' in html, name
        assert ("ログアウト" in html) == (language == "ja"), name
    if heading:
        assert f"<h1>{heading}</h1>" in client.get(WALLET).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, customer):
    urls = _customer_urls(customer)
    posts = [
        reverse("billing:payment_cancel", args=[Payment.objects.first().pk]),
        WALLET,
        urls["invoice"],
    ]
    for url in [*urls.values(), *posts]:
        response = client.get(url) if url not in posts else client.post(url, {})
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    assert Payment.objects.filter(status=Payment.Status.PENDING).count() == 2


def test_another_customers_payments_invoices_charges_and_receipts_are_404(signed_in, customer):
    owner = UserFactory()
    urls = _customer_urls(owner)
    fund(customer, 5000)
    for name, url in urls.items():
        if name not in ("wallet", "invoices"):
            assert signed_in.get(url).status_code == 404, name
    pending = Payment.objects.get(customer=owner, status=Payment.Status.PENDING, gateway="manual")
    response = signed_in.post(reverse("billing:payment_cancel", args=[pending.pk]))
    assert response.status_code == 404
    invoice = Invoice.objects.get(customer=owner)
    for method in ("points", "manual", "test"):
        response = signed_in.post(
            urls["invoice"],
            {"method": method, "amount_yen": "3000", "idempotency_key": key()},
        )
        assert response.status_code == 404
    # nothing changed: the payment still waits, the invoice is unpaid, nobody's points moved
    assert Payment.objects.get(pk=pending.pk).status == Payment.Status.PENDING
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_yen) == ("open", 0)
    assert Payment.objects.filter(invoice=invoice).count() == 0
    assert wallet_yen(customer) == 5000
    # the lists show only one's own
    assert invoice.number not in signed_in.get(reverse("billing:invoices")).content.decode()
    assert f"P{pending.pk:07d}" not in signed_in.get(WALLET).content.decode()


def test_ids_that_do_not_exist_are_404(signed_in):
    for name in ("payment", "invoice", "charge", "receipt"):
        for pk in (987654, 2**63 + 1):
            assert signed_in.get(reverse(f"billing:{name}", args=[pk])).status_code == 404
    assert signed_in.get(reverse("billing:sandbox_checkout", args=["nope"])).status_code == 404


# --- buying points ------------------------------------------------------------------------------


def test_a_quick_amount_button_buys_by_bank_transfer_with_the_reference(signed_in, customer):
    response = _buy(signed_in, quick_amount="3000", amount_yen="")
    payment = Payment.objects.get()
    assert (payment.customer, payment.amount_yen, payment.gateway, payment.status) == (
        customer,
        3000,
        "manual",
        "pending",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:payment", args=[payment.pk])
    html = signed_in.get(response["Location"]).content.decode()
    reference = f"P{payment.pk:07d}"
    assert f"<dd><span>{reference}</span> " in html
    assert "あいづち銀行 本店営業部" in html
    assert "普通 1234567" in html
    assert "<strong>¥3,000</strong>" in html
    assert wallet_yen(customer) == 0  # nothing until staff confirm
    # the wallet lists it as waiting
    assert reference in signed_in.get(WALLET).content.decode()


def test_every_quick_amount_is_a_button(signed_in, settings):
    html = signed_in.get(WALLET).content.decode()
    for amount in settings.AIZUCHI_BILLING["POINTS_CHOICES"]:
        assert f'name="quick_amount" value="{amount}"' in html


def test_a_typed_amount_goes_to_the_test_checkout_and_its_callback_credits_once(
    signed_in, customer
):
    response = _buy(signed_in, gateway="test", amount_yen=" 4500 ")
    payment = Payment.objects.get()
    checkout = reverse("billing:sandbox_checkout", args=[payment.token])
    assert (payment.amount_yen, payment.gateway) == (4500, "test")
    assert response["Location"] == checkout

    page = signed_in.get(checkout)
    assert page.status_code == 200
    assert "¥4,500" in page.content.decode()
    forms = {
        fields["outcome"]: (action, fields)
        for action, fields in _checkout_forms(page.content.decode())
    }
    assert set(forms) == {"succeeded", "failed"}
    action, fields = forms["succeeded"]
    assert action == CALLBACK
    assert fields["token"] == payment.token
    assert fields["return"] == "browser"

    first = signed_in.post(action, fields)
    again = signed_in.post(action, fields)  # a double click, or the gateway retrying
    assert first["Location"] == again["Location"] == reverse("billing:payment", args=[payment.pk])
    assert wallet_yen(customer) == 4500
    assert Entry.objects.filter(kind=Entry.Kind.PURCHASE).count() == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    html = signed_in.get(first["Location"]).content.decode()
    assert reverse("billing:receipt", args=[payment.pk]) in html
    assert "<strong data-wallet-balance>4,500 pt</strong>" in signed_in.get(WALLET).content.decode()


def test_a_gateways_server_gets_a_plain_ok(client, customer):
    payment = _start(customer, 2000, gateway="test")
    fields = SandboxGateway().signed_fields(payment.token, "succeeded")
    response = client.post(CALLBACK, fields)  # no session, no CSRF token: a server calling
    assert (response.status_code, response.content) == (200, b"ok")
    assert wallet_yen(customer) == 2000


def test_a_declined_card_credits_nothing(signed_in, customer):
    _buy(signed_in, gateway="test", amount_yen="2000")
    payment = Payment.objects.get()
    page = signed_in.get(reverse("billing:sandbox_checkout", args=[payment.token]))
    action, fields = next(
        form for form in _checkout_forms(page.content.decode()) if form[1]["outcome"] == "failed"
    )
    response = signed_in.post(action, fields, follow=True)
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert wallet_yen(customer) == 0
    assert "Nothing was charged for this payment." in response.content.decode()
    # the success form of the same page cannot bring it back
    success = SandboxGateway().signed_fields(payment.token, "succeeded")
    assert signed_in.post(CALLBACK, success).status_code == 409
    assert wallet_yen(customer) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        lambda f: {**f, "signature": "0" * 64},
        lambda f: {**f, "signature": "é" * 64},  # beyond ASCII: refused, not an error
        lambda f: {**f, "signature": "\u202e" + f["signature"][1:]},
        lambda f: {**f, "outcome": "failed"},  # the signature of "succeeded" on "failed"
        lambda f: {**f, "token": f["token"][:-1] + "x"},
        lambda f: {k: v for k, v in f.items() if k != "signature"},
        lambda f: {},
    ],
)
def test_a_forged_callback_is_400_and_changes_nothing(client, customer, tamper):
    payment = _start(customer, 5000, gateway="test")
    fields = tamper(SandboxGateway().signed_fields(payment.token, "succeeded"))
    response = client.post(CALLBACK, fields)
    assert response.status_code == 400
    assert Payment.objects.get().status == "pending"
    assert wallet_yen(customer) == 0


def test_callbacks_for_the_manual_or_an_unknown_gateway_are_400(client, customer):
    payment = _start(customer, 5000, gateway="test")
    fields = SandboxGateway().signed_fields(payment.token, "succeeded")
    for code in ("manual", "paypal"):
        assert (
            client.post(reverse("billing:gateway_callback", args=[code]), fields).status_code == 400
        )
    assert client.get(CALLBACK).status_code == 405
    assert wallet_yen(customer) == 0


def test_the_checkout_of_a_closed_payment_goes_to_the_payment_page(signed_in, customer):
    payment = _start(customer, 2000, gateway="test")
    payments.payment_cancel(customer=customer, payment_id=payment.pk)
    response = signed_in.get(reverse("billing:sandbox_checkout", args=[payment.token]))
    assert response["Location"] == reverse("billing:payment", args=[payment.pk])
    assert wallet_yen(customer) == 0


def test_the_checkout_page_is_only_its_customers(signed_in, customer):
    payment = _start(UserFactory(), 5000, gateway="test")
    assert (
        signed_in.get(reverse("billing:sandbox_checkout", args=[payment.token])).status_code == 404
    )
    manual = _start(customer)
    assert (
        signed_in.get(reverse("billing:sandbox_checkout", args=[manual.token])).status_code == 404
    )


@pytest.mark.parametrize(
    "amount", ["0", "499", "100001", "abc", "1e3", "10.5", "-500", "３０００", "1,000"]
)
def test_points_amounts_out_of_range_or_not_numbers_are_field_errors(signed_in, customer, amount):
    response = _buy(signed_in, amount_yen=amount)
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == (
        "Enter a whole number of yen from ¥500 to ¥100,000."
    )
    assert not Payment.objects.exists()
    assert not Operation.objects.exists()


@pytest.mark.parametrize("field", ["amount_yen", "quick_amount"])
def test_a_number_too_long_for_python_is_a_field_error(signed_in, field):
    response = _buy(signed_in, **{"amount_yen": "", field: "9" * 5000})
    assert response.status_code == 400
    assert "¥100,000" in _field_error(response.content.decode())
    assert not Payment.objects.exists()


def test_a_bad_quick_amount_is_a_field_error_too(signed_in):
    response = _buy(signed_in, quick_amount="99999999")
    assert response.status_code == 400
    assert "¥100,000" in _field_error(response.content.decode())
    assert not Payment.objects.exists()


def test_an_empty_amount_is_a_field_error(signed_in):
    response = _buy(signed_in, amount_yen="")
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == "This field is required."
    assert not Payment.objects.exists()


@pytest.mark.parametrize("gateway", ["paypal", "", "points"])
def test_an_unknown_gateway_is_a_field_error(signed_in, gateway):
    response = _buy(signed_in, amount_yen="3000", gateway=gateway)
    assert response.status_code == 400
    assert _field_error(response.content.decode())
    assert not Payment.objects.exists()


def test_a_disabled_gateway_is_a_field_error(signed_in, settings):
    settings.AIZUCHI_BILLING = {**settings.AIZUCHI_BILLING, "GATEWAYS": ["manual"]}
    response = _buy(signed_in, amount_yen="3000", gateway="test")
    assert response.status_code == 400
    assert "Select a valid choice." in _field_error(response.content.decode())
    assert not Payment.objects.exists()
    # with one gateway left, it is chosen already
    assert re.search(
        r'<input [^>]*value="manual"[^>]* checked', signed_in.get(WALLET).content.decode()
    )


@pytest.mark.parametrize("bad_key", ["", "short", "x" * 65, "has spaces in it here", "é" * 20])
def test_a_tampered_idempotency_key_is_refused_with_a_message(signed_in, bad_key):
    response = signed_in.post(
        WALLET, {"gateway": "manual", "amount_yen": "3000", "idempotency_key": bad_key}
    )
    assert response.status_code == 400
    assert str(KEY_INVALID) in response.content.decode()
    assert not Payment.objects.exists()


def test_a_double_submit_makes_one_payment(signed_in):
    fields = {"gateway": "manual", "amount_yen": "3000", "idempotency_key": key()}
    first = signed_in.post(WALLET, fields)
    second = signed_in.post(WALLET, fields)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1


def test_the_same_key_with_another_amount_is_refused(signed_in):
    fields = {"gateway": "manual", "amount_yen": "3000", "idempotency_key": key()}
    signed_in.post(WALLET, fields)
    response = signed_in.post(WALLET, {**fields, "amount_yen": "5000"})
    assert response.status_code == 400
    assert str(KEY_REUSED) in response.content.decode()
    assert list(Payment.objects.values_list("amount_yen", flat=True)) == [3000]


def test_each_drawn_form_carries_a_fresh_key(signed_in):
    keys = {
        re.search(
            r'name="idempotency_key" value="([^"]+)"', signed_in.get(WALLET).content.decode()
        )[1]
        for _ in range(2)
    }
    assert len(keys) == 2


def test_the_customer_cancels_a_pending_payment(signed_in, customer):
    payment = _start(customer)
    url = reverse("billing:payment_cancel", args=[payment.pk])
    response = signed_in.post(url, follow=True)
    assert "The payment was cancelled." in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    again = signed_in.post(url, follow=True)  # cancelling twice is not an error page
    assert again.status_code == 200
    settled = payments.payment_settle(payment=_start(customer))
    response = signed_in.post(reverse("billing:payment_cancel", args=[settled.pk]), follow=True)
    assert "This payment is already closed." in response.content.decode()
    settled.refresh_from_db()
    assert settled.status == "succeeded"
    assert wallet_yen(customer) == 3000
    assert signed_in.get(reverse("billing:payment", args=[payment.pk])).status_code == 200
    assert signed_in.get(url).status_code == 405


# --- invoices -----------------------------------------------------------------------------------


def _pay(client, invoice, **fields):
    return client.post(
        reverse("billing:invoice", args=[invoice.pk]),
        {"method": "points", "idempotency_key": key(), **fields},
    )


def test_the_invoice_list_and_page(signed_in, customer):
    invoice = postpaid_invoice(customer)
    postpaid_invoice(UserFactory())  # someone else's
    html = signed_in.get(reverse("billing:invoices")).content.decode()
    assert re.findall(r'href="/billing/invoices/(\d+)/"', html) == [str(invoice.pk)]
    assert invoice.number in html
    page = signed_in.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert "<strong data-outstanding>¥3,000</strong>" in page
    assert 'name="amount_yen" value="3000"' in page
    assert reverse("billing:charge", args=[invoice.charge_id]) in page


def test_an_invoice_is_paid_with_points(signed_in, customer):
    invoice = postpaid_invoice(customer)  # ¥3,000
    fund(customer, 5000)
    response = _pay(signed_in, invoice, amount_yen="1000")
    assert response["Location"] == reverse("billing:invoice", args=[invoice.pk])
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.status) == (1000, "open")
    page = signed_in.get(response["Location"]).content.decode()
    assert "¥1,000 was paid with your points." in page
    assert 'name="amount_yen" value="2000"' in page  # the rest is offered next
    _pay(signed_in, invoice, amount_yen="2000")
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.status) == (3000, "paid")
    assert wallet_yen(customer) == 2000
    page = signed_in.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert '<span class="status status-succeeded">Paid</span>' in page
    assert 'name="amount_yen"' not in page  # nothing left to pay


@pytest.mark.parametrize("amount", [1000, 3000])
def test_a_double_submitted_invoice_payment_pays_once(signed_in, customer, amount):
    invoice = postpaid_invoice(customer)  # ¥3,000
    fund(customer, 5000)
    fields = {"method": "points", "amount_yen": str(amount), "idempotency_key": key()}
    url = reverse("billing:invoice", args=[invoice.pk])
    # the second gets the first one's answer, even when the first settled the invoice
    assert signed_in.post(url, fields)["Location"] == url
    assert signed_in.post(url, fields)["Location"] == url
    invoice.refresh_from_db()
    assert invoice.paid_yen == amount
    assert wallet_yen(customer) == 5000 - amount
    assert Entry.objects.filter(kind=Entry.Kind.INVOICE_PAYMENT).count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("3001", "Enter a whole number of yen from ¥1 to ¥3,000."),
        ("0", "Enter a whole number of yen from ¥1 to ¥3,000."),
        ("abc", "Enter a whole number of yen from ¥1 to ¥3,000."),
        ("", "This field is required."),
    ],
)
@pytest.mark.parametrize("method", ["points", "manual", "test"])
def test_paying_more_than_owed_or_not_a_number_is_a_field_error(
    signed_in, customer, amount, message, method
):
    invoice = postpaid_invoice(customer)
    fund(customer, 5000)
    response = _pay(signed_in, invoice, method=method, amount_yen=amount)
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == message
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.status) == (0, "open")
    assert wallet_yen(customer) == 5000
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_paying_with_more_points_than_one_has_is_a_field_error(signed_in, customer):
    invoice = postpaid_invoice(customer)
    fund(customer, 1000)
    response = _pay(signed_in, invoice, amount_yen="3000")
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == "There are not enough points for this."
    invoice.refresh_from_db()
    assert invoice.paid_yen == 0
    assert wallet_yen(customer) == 1000


@pytest.mark.parametrize("method", ["paypal", ""])
def test_an_unknown_way_to_pay_an_invoice_is_a_field_error(signed_in, customer, method):
    invoice = postpaid_invoice(customer)
    fund(customer, 5000)
    response = _pay(signed_in, invoice, method=method, amount_yen="3000")
    assert response.status_code == 400
    assert _field_error(response.content.decode())
    invoice.refresh_from_db()
    assert invoice.paid_yen == 0
    assert wallet_yen(customer) == 5000


def test_a_paid_invoice_cannot_be_paid_again(signed_in, customer):
    invoice = postpaid_invoice(customer)
    fund(customer, 6000)
    _pay(signed_in, invoice, amount_yen="3000")
    response = _pay(signed_in, invoice, amount_yen="1")
    assert response.status_code == 400
    assert "Nothing is left to pay on this invoice." in response.content.decode()
    assert wallet_yen(customer) == 3000


def test_an_invoice_paid_by_bank_transfer_shows_the_instructions(signed_in, customer):
    invoice = postpaid_invoice(customer)
    response = _pay(signed_in, invoice, method="manual", amount_yen="3000")
    payment = Payment.objects.get(invoice=invoice)
    assert response["Location"] == reverse("billing:payment", args=[payment.pk])
    page = signed_in.get(response["Location"]).content.decode()
    assert f"¥3,000 for invoice {invoice.number}" in page
    assert f"<dd><span>P{payment.pk:07d}</span> " in page
    # each detail can be copied with a tap (the button shows where a clipboard is)
    assert f'data-copy="P{payment.pk:07d}"' in page
    assert 'data-copy="3000"' in page
    invoice_page = signed_in.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert "A payment of ¥3,000 is waiting to be confirmed." in invoice_page


def test_an_invoice_paid_by_test_card_is_settled_by_the_callback(signed_in, customer):
    invoice = postpaid_invoice(customer)
    response = _pay(signed_in, invoice, method="test", amount_yen="3000")
    payment = Payment.objects.get(invoice=invoice)
    assert response["Location"] == reverse("billing:sandbox_checkout", args=[payment.token])
    signed_in.post(CALLBACK, SandboxGateway().signed_fields(payment.token, "succeeded"))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    page = signed_in.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert reverse("billing:receipt", args=[payment.pk]) in page


# --- charges and receipts -------------------------------------------------------------------------


def test_the_charge_page_explains_it_without_the_split(signed_in, customer):
    charge = prepaid_charge(customer, minutes=10)  # ¥1,000, 20 % commission
    html = signed_in.get(reverse("billing:charge", args=[charge.pk])).content.decode()
    assert "<strong data-charge-amount>¥1,000</strong>" in html
    assert "¥100 a minute" in html
    assert "Your first session with this person" in html
    assert "Platform commission" not in html
    assert "To the provider" not in html
    assert "¥200" not in html
    assert "¥800" not in html
    assert "Refund (staff)" not in html


def test_the_charge_page_is_its_customers_its_providers_and_staffs_only(client, customer):
    offering = OfferingFactory()
    charge = prepaid_charge(customer, offering)
    url = reverse("billing:charge", args=[charge.pk])
    for viewer in (offering.provider.user, staff_user()):
        viewer.language = "en"
        viewer.save()
        client.force_login(viewer)
        html = client.get(url).content.decode()
        assert "Platform commission (20%)</dt><dd>¥200</dd>" in html
        assert "To the provider</dt><dd>¥800</dd>" in html
    for stranger in (UserFactory(), OfferingFactory().provider.user):
        client.force_login(stranger)
        assert client.get(url).status_code == 404


def test_the_receipt_shows_the_consumption_tax_inside_the_amount(signed_in, customer):
    payment = payments.payment_settle(payment=_start(customer, 3000))
    html = signed_in.get(reverse("billing:receipt", args=[payment.pk])).content.decode()
    assert "¥3,000-" in html
    assert "Consumption tax included (10%): ¥272" in html  # 3,000 × 10 / 110
    assert f"R-{payment.settled_at:%Y%m}-{payment.pk:06d}" in html
    assert f"To {customer.public_name}" in html
    assert "For Aizuchi points" in html


def test_the_receipt_of_an_invoice_payment_names_the_invoice(signed_in, customer):
    invoice = postpaid_invoice(customer, minutes=11)  # ¥1,100: tax ¥100
    payment = payments.invoice_payment_start(
        customer=customer, invoice_id=invoice.pk, amount_yen=1100, gateway_code="manual", key=key()
    )
    payments.payment_confirm(user=staff_user(), payment_id=payment.pk)
    html = signed_in.get(reverse("billing:receipt", args=[payment.pk])).content.decode()
    assert f"For invoice {invoice.number}" in html
    assert "Consumption tax included (10%): ¥100" in html


def test_there_is_no_receipt_for_a_payment_not_received(signed_in, customer):
    for status in ("pending", "failed", "cancelled"):
        payment = _start(customer)
        Payment.objects.filter(pk=payment.pk).update(status=status)
        assert signed_in.get(reverse("billing:receipt", args=[payment.pk])).status_code == 404


def test_the_wallet_history_links_charges_and_receipts(signed_in, customer):
    charge = prepaid_charge(customer)
    purchase = Payment.objects.get(customer=customer)
    html = signed_in.get(WALLET).content.decode()
    assert reverse("billing:charge", args=[charge.pk]) in html
    assert reverse("billing:receipt", args=[purchase.pk]) in html
    assert "+1,000 pt" in html
    assert "−1,000 pt" in html
