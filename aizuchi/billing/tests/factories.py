"""Factories and small helpers for billing tests."""

from __future__ import annotations

import itertools

import factory

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Payment
from aizuchi.billing.services import payments
from aizuchi.live.models import Session
from aizuchi.storefront.models import Offering
from aizuchi.storefront.tests.factories import ProviderFactory

_keys = itertools.count(1)


def key(prefix: str = "k") -> str:
    """A fresh idempotency key (16+ URL-safe characters, as forms send)."""
    return f"{prefix}-{next(_keys):012d}-test"


class OfferingFactory(factory.django.DjangoModelFactory):
    """¥100 a minute by chat, prepaid, no free minutes or caps unless given."""

    class Meta:
        model = Offering

    provider = factory.SubFactory(ProviderFactory)
    channel = Offering.Channel.CHAT
    price_per_minute = 100
    payment = Offering.Payment.PREPAID


def session_for(offering: Offering, customer, *, seconds: int = 0) -> Session:
    """A session of ``customer`` on ``offering`` that has run for ``seconds``."""
    return Session.objects.create(
        provider=offering.provider,
        customer=customer,
        offering=offering,
        channel=offering.channel,
        status=Session.Status.ACTIVE,
        billable_seconds=seconds,
    )


def fund(customer, yen: int) -> Payment:
    """Give ``customer`` ``yen`` in points the way a customer gets them: a settled payment."""
    payment = payments.points_purchase_start(
        customer=customer, amount_yen=yen, gateway_code="manual", key=key("fund")
    )
    return payments.payment_settle(payment=payment)


def staff_user():
    return UserFactory(is_staff=True)


def wallet_yen(customer) -> int:
    return ledger.balance_yen(ledger.wallet(customer))
