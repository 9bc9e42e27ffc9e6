"""Points bought through a gateway; payments confirmed by people or by signed callbacks."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation

from aizuchi.billing import ledger
from aizuchi.billing.gateways.sandbox import SandboxGateway
from aizuchi.billing.models import Entry, Payment
from aizuchi.billing.services import payments
from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.notifications.models import Notification

from .factories import key, staff_user, wallet_yen

pytestmark = pytest.mark.django_db


def _start(user, amount=3000, gateway="manual"):
    return payments.points_purchase_start(
        customer=user, amount_yen=amount, gateway_code=gateway, key=key()
    )


@pytest.mark.parametrize("amount", [0, 499, 100_001, "abc", "1e3", "10.5", None, True, -500])
def test_amounts_outside_the_limits_are_field_errors(user, amount):
    with pytest.raises(InvalidInput) as refused:
        _start(user, amount=amount)
    assert list(refused.value.errors) == ["amount_yen"]
    with translation.override("en"):
        assert "from ¥500 to ¥100,000" in str(refused.value.errors["amount_yen"][0])
    with translation.override("ja"):
        assert "500円から100,000円まで" in str(refused.value.errors["amount_yen"][0])
    assert not Payment.objects.exists()


def test_an_unknown_or_disabled_gateway_is_a_field_error(user, settings):
    with pytest.raises(InvalidInput) as refused:
        _start(user, gateway="paypal")
    assert list(refused.value.errors) == ["gateway"]
    settings.AIZUCHI_BILLING = {**settings.AIZUCHI_BILLING, "GATEWAYS": ["manual"]}
    with pytest.raises(InvalidInput):
        _start(user, gateway="test")
    assert not Payment.objects.exists()


def test_a_manual_payment_waits_until_staff_confirm_it(user):
    payment = _start(user, 3000)
    assert payment.status == Payment.Status.PENDING
    assert wallet_yen(user) == 0
    staff = staff_user()
    confirmed = payments.payment_confirm(user=staff, payment_id=payment.pk)
    assert confirmed.status == Payment.Status.SUCCEEDED
    assert confirmed.settled_by == staff
    assert wallet_yen(user) == 3000
    assert ledger.balance_yen(ledger.gateway_clearing("manual")) == 3000
    assert Notification.objects.filter(user=user, kind="points_added").count() == 1
    # confirming again changes nothing
    payments.payment_confirm(user=staff, payment_id=payment.pk)
    assert wallet_yen(user) == 3000
    assert Entry.objects.filter(kind=Entry.Kind.PURCHASE).count() == 1


def test_customers_and_providers_cannot_confirm_points_payments(user, other_user):
    payment = _start(user)
    for person in (user, other_user):
        with pytest.raises(NotFound):
            payments.payment_confirm(user=person, payment_id=payment.pk)
    assert Payment.objects.get().status == Payment.Status.PENDING


def test_staff_can_close_a_transfer_that_never_came(user):
    payment = _start(user)
    refused = payments.payment_refuse(user=staff_user(), payment_id=payment.pk)
    assert refused.status == Payment.Status.FAILED
    with pytest.raises(Conflict):
        payments.payment_confirm(user=staff_user(), payment_id=payment.pk)
    assert wallet_yen(user) == 0


def test_a_customer_cancels_their_own_pending_payment_only(user, other_user):
    payment = _start(user)
    with pytest.raises(NotFound):
        payments.payment_cancel(customer=other_user, payment_id=payment.pk)
    assert payments.payment_cancel(customer=user, payment_id=payment.pk).status == "cancelled"
    with pytest.raises(Conflict):
        payments.payment_settle(payment=payment)
    assert wallet_yen(user) == 0


def test_hosted_checkout_callbacks_are_verified_then_settle_once(user):
    payment = _start(user, 5000, gateway="test")
    fields = SandboxGateway().signed_fields(payment.token, "succeeded")
    request = RequestFactory().post("/", fields)
    payments.payment_callback(gateway_code="test", request=request)
    payments.payment_callback(gateway_code="test", request=request)  # delivered twice
    assert wallet_yen(user) == 5000
    assert Payment.objects.get().external_ref.startswith("sandbox-")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda f: {**f, "signature": "0" * 64},
        lambda f: {**f, "outcome": "failed"},
        lambda f: {**f, "token": f["token"][:-1] + "x"},
        lambda f: {k: v for k, v in f.items() if k != "signature"},
    ],
)
def test_forged_callbacks_change_nothing(user, tamper):
    payment = _start(user, 5000, gateway="test")
    fields = tamper(SandboxGateway().signed_fields(payment.token, "succeeded"))
    with pytest.raises(InvalidInput):
        payments.payment_callback(gateway_code="test", request=RequestFactory().post("/", fields))
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert wallet_yen(user) == 0


def test_a_declined_card_closes_the_payment(user):
    payment = _start(user, 5000, gateway="test")
    fields = SandboxGateway().signed_fields(payment.token, "failed")
    payments.payment_callback(gateway_code="test", request=RequestFactory().post("/", fields))
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert wallet_yen(user) == 0


def test_the_manual_gateway_tells_the_bank_details_and_a_reference(user):
    from aizuchi.billing import gateways

    payment = _start(user)
    step = gateways.get("manual").begin(payment)
    assert step.kind == "instructions"
    with translation.override("en"):
        values = {str(label): value for label, value in step.lines}
    assert values["Reference (sender's name)"] == f"P{payment.pk:07d}"
    assert "あいづち銀行" in values["Bank"]
