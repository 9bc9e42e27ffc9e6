"""A sandbox gateway (the test checkout) works only where settings allow it: elsewhere it
is not offered, its checkout is gone, its callbacks settle nothing, and the system checks
name it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import gateways
from aizuchi.billing.checks import SANDBOX_REFUSED, sandbox_gateway_check
from aizuchi.billing.gateways.sandbox import SandboxGateway
from aizuchi.billing.models import Payment
from aizuchi.billing.services import payments

from .factories import key, wallet_yen

pytestmark = pytest.mark.django_db

SANDBOX_PATH = "aizuchi.billing.gateways.sandbox.SandboxGateway"


@pytest.fixture
def no_sandbox(settings):
    settings.AIZUCHI_BILLING = {
        **settings.AIZUCHI_BILLING,
        "GATEWAYS": ["manual", "test"],
        "ALLOW_SANDBOX": False,
    }


def test_tests_and_development_allow_the_sandbox():
    assert [g.code for g in gateways.enabled()] == ["manual", "test"]
    assert sandbox_gateway_check(None) == []


def test_without_permission_the_sandbox_is_not_offered_and_the_check_says_so(no_sandbox):
    assert [g.code for g in gateways.enabled()] == ["manual"]
    assert gateways.get("test") is None
    [error] = sandbox_gateway_check(None)
    assert error.id == SANDBOX_REFUSED
    assert "'test'" in error.msg


def test_a_sandbox_named_by_its_path_is_caught_too(settings):
    settings.AIZUCHI_BILLING = {
        **settings.AIZUCHI_BILLING,
        "GATEWAYS": ["manual", SANDBOX_PATH],
        "ALLOW_SANDBOX": False,
    }
    assert [g.code for g in gateways.enabled()] == ["manual"]
    assert [error.id for error in sandbox_gateway_check(None)] == [SANDBOX_REFUSED]


def test_without_permission_nobody_can_pay_themselves_through_the_sandbox(
    client, settings, no_sandbox
):
    customer = UserFactory()
    client.force_login(customer)
    # Starting a payment with it is a field error.
    response = client.post(
        reverse("billing:wallet"),
        {"gateway": "test", "amount_yen": "3000", "idempotency_key": key()},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["gateway"]
    assert not Payment.objects.exists()
    # A payment begun while it was allowed: the checkout is gone and a correctly signed
    # "succeeded" settles nothing.
    settings.AIZUCHI_BILLING = {**settings.AIZUCHI_BILLING, "ALLOW_SANDBOX": True}
    payment = payments.points_purchase_start(
        customer=customer, amount_yen=3000, gateway_code="test", key=key()
    )
    settings.AIZUCHI_BILLING = {**settings.AIZUCHI_BILLING, "ALLOW_SANDBOX": False}
    checkout = reverse("billing:sandbox_checkout", args=[payment.token])
    assert client.get(checkout).status_code == 404
    signed = SandboxGateway().signed_fields(payment.token, "succeeded")
    callback = reverse("billing:gateway_callback", args=["test"])
    assert client.post(callback, signed).status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert wallet_yen(customer) == 0
