"""Staff pages through the test client: confirming manual payments, deciding payouts,
refunds, adjustments and commission rates; and that nobody else reaches them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Charge, CommissionRate, Entry, Invoice, Payment, PayoutRequest
from aizuchi.billing.services import payments, payouts
from aizuchi.core.forms import KEY_INVALID

from .factories import (
    OfferingFactory,
    earnings_yen,
    give_earnings,
    key,
    payout_pending_yen,
    postpaid_invoice,
    prepaid_charge,
    staff_user,
    wallet_yen,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("billing:staff")
ADJUST = reverse("billing:staff_adjust")
COMMISSION = reverse("billing:staff_commission")


@pytest.fixture
def staff():
    user = staff_user()
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def customer():
    return UserFactory(language="en")


def _field_errors(html: str) -> dict[str, str]:
    """Each field's error under it, by the field's name (includes/form.html)."""
    errors = {}
    for block in html.split('<div class="field')[1:]:
        if block.startswith(' has-error">'):
            name = re.search(r'name="(\w+)"', block)[1]
            errors[name] = " ".join(re.findall(r'class="field-error" role="alert">([^<]*)<', block))
    return errors


def _manual_payment(customer, amount=3000) -> Payment:
    return payments.points_purchase_start(
        customer=customer, amount_yen=amount, gateway_code="manual", key=key()
    )


def _payout(provider=None, amount=4000) -> PayoutRequest:
    provider = provider or OfferingFactory().provider
    give_earnings(provider, 10_000)
    return payouts.payout_request(
        provider=provider, user=provider.user, amount_yen=amount, key=key()
    )


def _refund(client, charge, **fields):
    return client.post(
        reverse("billing:staff_refund", args=[charge.pk]),
        {"amount_yen": "", "reason": "", "idempotency_key": key(), **fields},
    )


def _adjust(client, **fields):
    return client.post(
        ADJUST,
        {
            "target": "wallet",
            "owner_id": "",
            "amount_yen": "",
            "reason": "",
            "idempotency_key": key(),
            **fields,
        },
    )


def _staff_post_urls(payment, payout, charge) -> list[str]:
    return [
        reverse("billing:staff_payment_confirm", args=[payment.pk]),
        reverse("billing:staff_payment_refuse", args=[payment.pk]),
        reverse("billing:staff_payout_approve", args=[payout.pk]),
        reverse("billing:staff_payout_paid", args=[payout.pk]),
        reverse("billing:staff_payout_reject", args=[payout.pk]),
        reverse("billing:staff_refund", args=[charge.pk]),
        ADJUST,
        COMMISSION,
    ]


# --- pages, languages, and who may enter --------------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_staff_page_renders(client, customer, language):
    staff = staff_user()
    staff.language = language
    staff.save()
    _manual_payment(customer)
    _payout()
    charge = prepaid_charge(customer)
    CommissionRate.objects.create(provider=charge.provider, rate_bp=1250, set_by=staff)
    client.force_login(staff)
    for url in (OVERVIEW, ADJUST, COMMISSION, reverse("billing:charge", args=[charge.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{language}"' in html
        assert ("ログアウト" in html) == (language == "ja")
    html = client.get(OVERVIEW).content.decode()
    assert 'href="/billing/staff/"' in html  # the staff menu entry


def test_the_overview_lists_what_waits_for_staff(as_staff, customer):
    payment = _manual_payment(customer)
    _manual_payment(customer, 5000)
    payments.payment_settle(payment=_manual_payment(customer, 7000))  # settled: not listed
    sandbox = payments.points_purchase_start(
        customer=customer, amount_yen=9000, gateway_code="test", key=key()
    )
    payout = _payout(amount=4000)
    html = as_staff.get(OVERVIEW).content.decode()
    assert f"<code>P{payment.pk:07d}</code>" in html
    assert html.count("/confirm/") == 2
    assert f"P{sandbox.pk:07d}" not in html  # a card gateway settles itself
    assert reverse("billing:staff_payout_approve", args=[payout.pk]) in html
    assert "<strong data-imbalance>¥0</strong>" in html
    assert "<strong>¥7,000</strong>" in html  # customers' points


def test_anonymous_visitors_are_sent_to_log_in(client, customer):
    for url in (OVERVIEW, ADJUST, COMMISSION):
        assert client.get(url)["Location"] == f"{reverse('account_login')}?next={url}"
    payment, payout = _manual_payment(customer), _payout()
    for url in _staff_post_urls(payment, payout, prepaid_charge(customer)):
        assert client.post(url, {})["Location"].startswith(reverse("account_login"))
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    assert PayoutRequest.objects.get().status == "requested"


@pytest.mark.parametrize("who", ["customer", "provider"])
def test_staff_pages_and_actions_are_404_for_everyone_else(client, customer, who):
    payment = _manual_payment(customer)
    offering = OfferingFactory()
    payout = _payout(offering.provider)
    charge = prepaid_charge(customer, offering)  # the provider's own charge, even
    person = customer if who == "customer" else offering.provider.user
    client.force_login(person)
    for url in (OVERVIEW, ADJUST, COMMISSION):
        assert client.get(url).status_code == 404, url
    fields = {
        "amount_yen": "1000",
        "reason": "ちょうせい",
        "note": "だめ",
        "reference": "x",
        "target": "wallet",
        "owner_id": str(person.pk),
        "provider_id": str(offering.provider.pk),
        "rate_percent": "0",
        "idempotency_key": key(),
    }
    for url in _staff_post_urls(payment, payout, charge):
        assert client.post(url, fields).status_code == 404, url
    # nothing changed
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    payout.refresh_from_db()
    assert payout.status == "requested"
    assert Charge.objects.get().refunded_yen == 0
    assert not Entry.objects.filter(kind__in=["refund", "adjustment"], created_by=person).exists()
    assert not CommissionRate.objects.exists()
    assert wallet_yen(customer) == 0
    # and the menu does not offer them
    assert OVERVIEW not in client.get(reverse("billing:wallet")).content.decode()


# --- manual payments ---------------------------------------------------------------------------


def test_staff_confirm_a_bank_transfer(as_staff, customer, staff):
    payment = _manual_payment(customer)
    response = as_staff.post(reverse("billing:staff_payment_confirm", args=[payment.pk]))
    assert response["Location"] == OVERVIEW
    payment.refresh_from_db()
    assert (payment.status, payment.settled_by) == ("succeeded", staff)
    assert wallet_yen(customer) == 3000
    html = as_staff.get(OVERVIEW).content.decode()
    assert f"Payment P{payment.pk:07d} is confirmed and credited." in html
    assert "Nothing to confirm." in html
    as_staff.post(reverse("billing:staff_payment_confirm", args=[payment.pk]))  # again
    assert wallet_yen(customer) == 3000
    assert Entry.objects.filter(kind=Entry.Kind.PURCHASE).count() == 1


def test_staff_confirm_a_transfer_for_an_invoice(as_staff, customer):
    invoice = postpaid_invoice(customer)
    payment = payments.invoice_payment_start(
        customer=customer, invoice_id=invoice.pk, amount_yen=3000, gateway_code="manual", key=key()
    )
    html = as_staff.get(OVERVIEW).content.decode()
    assert invoice.number in html
    as_staff.post(reverse("billing:staff_payment_confirm", args=[payment.pk]))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert wallet_yen(customer) == 0


def test_staff_close_a_transfer_that_never_came(as_staff, customer):
    payment = _manual_payment(customer)
    as_staff.post(reverse("billing:staff_payment_refuse", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == "failed"
    response = as_staff.post(
        reverse("billing:staff_payment_confirm", args=[payment.pk]), follow=True
    )
    assert "This payment is already closed." in response.content.decode()
    assert wallet_yen(customer) == 0


def test_a_card_payment_cannot_be_confirmed_by_hand(as_staff, customer):
    payment = payments.points_purchase_start(
        customer=customer, amount_yen=3000, gateway_code="test", key=key()
    )
    response = as_staff.post(
        reverse("billing:staff_payment_confirm", args=[payment.pk]), follow=True
    )
    assert "Only bank transfers and cash are confirmed by hand." in response.content.decode()
    assert Payment.objects.get().status == "pending"
    assert as_staff.post(reverse("billing:staff_payment_confirm", args=[98765])).status_code == 404


# --- payouts -------------------------------------------------------------------------------------


def test_staff_approve_then_mark_a_payout_sent(as_staff):
    payout = _payout(amount=4000)
    provider = payout.provider
    response = as_staff.post(reverse("billing:staff_payout_approve", args=[payout.pk]), follow=True)
    assert "The payout request is approved." in response.content.decode()
    payout.refresh_from_db()
    assert payout.status == "approved"
    html = response.content.decode()
    assert reverse("billing:staff_payout_paid", args=[payout.pk]) in html
    response = as_staff.post(
        reverse("billing:staff_payout_paid", args=[payout.pk]),
        {"reference": "みずほ 12/3"},
        follow=True,
    )
    assert "The payout is recorded as sent." in response.content.decode()
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == ("paid", "みずほ 12/3")
    assert (earnings_yen(provider), payout_pending_yen(provider)) == (6000, 0)
    assert "No payout requests waiting." in response.content.decode()
    # sending twice sends once
    again = as_staff.post(reverse("billing:staff_payout_paid", args=[payout.pk]), follow=True)
    assert "cannot change that way" in again.content.decode()
    assert Entry.objects.filter(kind=Entry.Kind.PAYOUT_PAID).count() == 1


def test_a_payout_is_not_sent_before_it_is_approved(as_staff):
    payout = _payout()
    response = as_staff.post(reverse("billing:staff_payout_paid", args=[payout.pk]), follow=True)
    assert "This payout request is requested and cannot change that way." in (
        response.content.decode()
    )
    payout.refresh_from_db()
    assert payout.status == "requested"
    assert payout_pending_yen(payout.provider) == 4000


def test_staff_reject_a_payout_with_a_reason(as_staff):
    payout = _payout(amount=4000)
    url = reverse("billing:staff_payout_reject", args=[payout.pk])
    response = as_staff.post(url, {"note": "  "}, follow=True)
    assert "Say why, in a few words; it is kept with the entry." in response.content.decode()
    payout.refresh_from_db()
    assert payout.status == "requested"
    assert payout_pending_yen(payout.provider) == 4000

    response = as_staff.post(url, {"note": "口座名義が違います"}, follow=True)
    assert "The payout request is rejected" in response.content.decode()
    payout.refresh_from_db()
    assert (payout.status, payout.note) == ("rejected", "口座名義が違います")
    assert (earnings_yen(payout.provider), payout_pending_yen(payout.provider)) == (10_000, 0)


def test_a_reference_too_long_is_refused(as_staff):
    payout = _payout()
    as_staff.post(reverse("billing:staff_payout_approve", args=[payout.pk]))
    response = as_staff.post(
        reverse("billing:staff_payout_paid", args=[payout.pk]),
        {"reference": "x" * 101},
        follow=True,
    )
    assert "Keep the reference to 100 characters." in response.content.decode()
    payout.refresh_from_db()
    assert payout.status == "approved"


@pytest.mark.parametrize("field", ["reference", "note"])
def test_a_null_character_in_a_payout_decision_is_refused(as_staff, field):
    """PostgreSQL refuses NUL in text: a clear message instead of an error page."""
    payout = _payout()
    decision = "paid" if field == "reference" else "reject"
    if decision == "paid":
        as_staff.post(reverse("billing:staff_payout_approve", args=[payout.pk]))
    response = as_staff.post(
        reverse(f"billing:staff_payout_{decision}", args=[payout.pk]),
        {field: "みずほ\x00"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    payout.refresh_from_db()
    assert payout.status == ("approved" if decision == "paid" else "requested")


# --- refunds -------------------------------------------------------------------------------------


def test_staff_refund_part_of_a_charge(as_staff, customer):
    charge = prepaid_charge(customer, minutes=10)  # ¥1,000; the points are spent
    url = reverse("billing:charge", args=[charge.pk])
    html = as_staff.get(url).content.decode()
    assert "Refund (staff)" in html
    assert "Platform commission (20%)</dt><dd>¥200</dd>" in html
    response = _refund(as_staff, charge, amount_yen="400", reason="接続不良のため")
    assert response["Location"] == url
    charge.refresh_from_db()
    assert charge.refunded_yen == 400
    assert wallet_yen(customer) == 400
    assert earnings_yen(charge.provider) == 800 - 320
    html = as_staff.get(url).content.decode()
    assert "¥400 refunded." in html
    assert "接続不良のため" in html


def test_a_double_submitted_refund_refunds_once(as_staff, customer):
    charge = prepaid_charge(customer, minutes=10)
    fields = {"amount_yen": "1000", "reason": "全額返金", "idempotency_key": key()}
    url = reverse("billing:staff_refund", args=[charge.pk])
    assert as_staff.post(url, fields)["Location"] == reverse("billing:charge", args=[charge.pk])
    assert as_staff.post(url, fields)["Location"] == reverse("billing:charge", args=[charge.pk])
    charge.refresh_from_db()
    assert charge.refunded_yen == 1000
    assert wallet_yen(customer) == 1000
    assert Entry.objects.filter(kind=Entry.Kind.REFUND).count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount_yen": "500"}, "reason", "Say why, in a few words; it is kept with the entry."),
        (
            {"amount_yen": "500", "reason": "   "},
            "reason",
            "Say why, in a few words; it is kept with the entry.",
        ),
        (
            {"amount_yen": "1001", "reason": "返金"},
            "amount_yen",
            "Enter a whole number of yen from ¥1 to ¥1,000.",
        ),
        (
            {"amount_yen": "abc", "reason": "返金"},
            "amount_yen",
            "Enter a whole number of yen from ¥1 to ¥1,000.",
        ),
        ({"amount_yen": "", "reason": "返金"}, "amount_yen", "This field is required."),
        ({"amount_yen": "500", "reason": "x" * 501}, "reason", None),
    ],
)
def test_a_refund_without_a_reason_or_with_a_bad_amount_is_a_field_error(
    as_staff, customer, fields, field, message
):
    charge = prepaid_charge(customer, minutes=10)
    response = _refund(as_staff, charge, **fields)
    assert response.status_code == 400
    errors = _field_errors(response.content.decode())
    assert list(errors) == [field]
    if message:
        assert errors[field] == message
    charge.refresh_from_db()
    assert charge.refunded_yen == 0
    assert wallet_yen(customer) == 0
    assert not Entry.objects.filter(kind=Entry.Kind.REFUND).exists()


def test_a_refund_with_a_tampered_key_is_refused(as_staff, customer):
    charge = prepaid_charge(customer, minutes=10)
    response = _refund(as_staff, charge, amount_yen="500", reason="返金", idempotency_key="x")
    assert response.status_code == 400
    assert str(KEY_INVALID) in response.content.decode()
    assert Charge.objects.get().refunded_yen == 0


def test_a_refund_of_a_postpaid_charge_reduces_the_invoice(as_staff, customer):
    invoice = postpaid_invoice(customer)  # ¥3,000 unpaid
    _refund(as_staff, invoice.charge, amount_yen="3000", reason="お詫び")
    invoice.refresh_from_db()
    assert (invoice.credited_yen, invoice.status) == (3000, "paid")
    assert wallet_yen(customer) == 0
    html = as_staff.get(reverse("billing:charge", args=[invoice.charge_id])).content.decode()
    assert "Refund (staff)" not in html  # nothing left to refund


def test_a_refund_of_a_charge_that_does_not_exist_is_404(as_staff):
    response = _refund(as_staff, Charge(pk=98765), amount_yen="1", reason="x")
    assert response.status_code == 404


# --- adjustments ---------------------------------------------------------------------------------


def test_staff_add_points_and_take_earnings(as_staff, customer, staff):
    response = _adjust(
        as_staff, target="wallet", owner_id=str(customer.pk), amount_yen="1500", reason="お見舞い"
    )
    assert response["Location"] == ADJUST
    assert wallet_yen(customer) == 1500
    assert "The adjustment is posted." in as_staff.get(ADJUST).content.decode()
    provider = OfferingFactory().provider
    give_earnings(provider, 5000)
    _adjust(
        as_staff, target="earnings", owner_id=str(provider.pk), amount_yen="-2000", reason="訂正"
    )
    assert earnings_yen(provider) == 3000
    entry = Entry.objects.filter(kind=Entry.Kind.ADJUSTMENT, created_by=staff).latest("id")
    assert entry.reason == "訂正"


def test_the_adjustment_form_has_no_visible_key_field(as_staff):
    html = as_staff.get(ADJUST).content.decode()
    assert re.search(r'<input type="hidden" name="idempotency_key" value="[\w-]{16,}"', html)
    assert "Idempotency key" not in html
    assert 'for="id_idempotency_key"' not in html


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"target": "bank"}, {"target"}),
        ({"owner_id": "987654"}, {"owner_id"}),
        ({"owner_id": "abc"}, {"owner_id"}),
        ({"owner_id": "-1"}, {"owner_id"}),
        ({"owner_id": "99999999999999999999999"}, {"owner_id"}),
        ({"amount_yen": "0"}, {"amount_yen"}),
        ({"amount_yen": "1000001"}, {"amount_yen"}),
        ({"amount_yen": "12.5"}, {"amount_yen"}),
        ({"amount_yen": "9" * 5000}, {"amount_yen"}),
        ({"reason": ""}, {"reason"}),
        ({"amount_yen": "abc", "reason": ""}, {"amount_yen", "reason"}),
        ({"target": "earnings"}, {"owner_id"}),  # a customer's number is no provider's
    ],
)
def test_an_adjustment_with_bad_fields_is_refused_field_by_field(
    as_staff, customer, fields, expected
):
    good = {"target": "wallet", "owner_id": str(customer.pk), "amount_yen": "500", "reason": "お礼"}
    if fields == {"target": "earnings"}:
        good["owner_id"] = str(UserFactory().pk + 1000)
    response = _adjust(as_staff, **{**good, **fields})
    assert response.status_code == 400
    errors = _field_errors(response.content.decode())
    assert set(errors) == expected
    assert all(errors.values())
    assert not Entry.objects.filter(kind=Entry.Kind.ADJUSTMENT).exists()
    assert wallet_yen(customer) == 0


def test_points_never_go_below_zero_by_adjustment(as_staff, customer):
    response = _adjust(
        as_staff, target="wallet", owner_id=str(customer.pk), amount_yen="-100", reason="訂正"
    )
    assert response.status_code == 400
    assert "There are not enough points for this." in response.content.decode()
    assert wallet_yen(customer) == 0


def test_an_adjustment_with_a_tampered_key_is_refused(as_staff, customer):
    response = _adjust(
        as_staff,
        target="wallet",
        owner_id=str(customer.pk),
        amount_yen="500",
        reason="お礼",
        idempotency_key="<script>",
    )
    assert response.status_code == 400
    assert str(KEY_INVALID) in response.content.decode()
    assert wallet_yen(customer) == 0


def test_a_double_submitted_adjustment_posts_once(as_staff, customer):
    fields = {
        "target": "wallet",
        "owner_id": str(customer.pk),
        "amount_yen": "500",
        "reason": "お礼",
        "idempotency_key": key(),
    }
    as_staff.post(ADJUST, fields)
    as_staff.post(ADJUST, fields)
    assert wallet_yen(customer) == 500


# --- commission ---------------------------------------------------------------------------------


def test_staff_set_and_clear_a_providers_commission(as_staff, staff):
    provider = OfferingFactory().provider
    response = as_staff.post(COMMISSION, {"provider_id": str(provider.pk), "rate_percent": "12.5"})
    assert response["Location"] == COMMISSION
    rate = CommissionRate.objects.get()
    assert (rate.provider, rate.rate_bp, rate.set_by) == (provider, 1250, staff)
    html = as_staff.get(COMMISSION).content.decode()
    assert "The commission rate is saved." in html
    assert "12.5%" in html
    assert "The default commission is 20% of every charge" in html
    # charges made now use it
    charge = prepaid_charge(UserFactory(), OfferingFactory(provider=provider, channel="voice"))
    assert (charge.commission_rate_bp, charge.commission_yen) == (1250, 125)
    as_staff.post(COMMISSION, {"provider_id": str(provider.pk), "rate_percent": ""})
    assert not CommissionRate.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rate_percent": "101"}, "rate_percent"),
        ({"rate_percent": "-1"}, "rate_percent"),
        ({"rate_percent": "12.345"}, "rate_percent"),
        ({"rate_percent": "abc"}, "rate_percent"),
        ({"rate_percent": "1e2"}, "rate_percent"),
        ({"rate_percent": "9" * 5000}, "rate_percent"),
        ({"provider_id": "987654"}, "provider_id"),
        ({"provider_id": "abc"}, "provider_id"),
        ({"provider_id": ""}, "provider_id"),
    ],
)
def test_a_commission_out_of_range_is_a_field_error(as_staff, fields, field):
    provider = OfferingFactory().provider
    response = as_staff.post(
        COMMISSION, {"provider_id": str(provider.pk), "rate_percent": "15", **fields}
    )
    assert response.status_code == 400
    errors = _field_errors(response.content.decode())
    assert list(errors) == [field]
    assert errors[field]
    assert not CommissionRate.objects.exists()


def test_a_commission_out_of_range_keeps_the_rate_that_was_set(as_staff):
    provider = OfferingFactory().provider
    as_staff.post(COMMISSION, {"provider_id": str(provider.pk), "rate_percent": "10"})
    response = as_staff.post(COMMISSION, {"provider_id": str(provider.pk), "rate_percent": "150"})
    assert response.status_code == 400
    assert "Enter a rate from 0 to 100 %, in steps of 0.01 %." in response.content.decode()
    assert CommissionRate.objects.get().rate_bp == 1000
    assert Invoice.objects.count() == 0
    assert ledger.balance_yen(ledger.commission()) == 0
