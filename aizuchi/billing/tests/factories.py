"""Factories and small helpers for billing tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

import factory
from django.utils import timezone

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
    """A session of ``customer`` on ``offering`` that ran for ``seconds`` and has just
    ended, as the live domain hands it to billing."""
    from aizuchi.live.tests.factories import record_facts

    now = timezone.now()
    session = Session.objects.create(
        provider=offering.provider,
        customer=customer,
        offering=offering,
        channel=offering.channel,
        status=Session.Status.COMPLETED,
        requested_at=now - timedelta(seconds=seconds + 60),
        started_at=now - timedelta(seconds=seconds),
        ended_at=now,
        billable_seconds=seconds,
    )
    return record_facts(session)


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


def postpaid_invoice(customer, offering=None, *, minutes: int = 30):
    """An open invoice of ``customer``: a postpaid session of ``minutes`` at ¥100 a minute."""
    from aizuchi.billing.models import Invoice
    from aizuchi.billing.services import charges

    offering = offering or OfferingFactory(payment=Offering.Payment.POSTPAID)
    charge = charges.session_charge(
        session=session_for(offering, customer), billable_seconds=minutes * 60
    )
    return Invoice.objects.get(charge=charge)


def prepaid_charge(customer, offering=None, *, minutes: int = 10):
    """A prepaid session of ``minutes`` at ¥100 a minute, paid from points given first."""
    from aizuchi.billing.services import charges

    offering = offering or OfferingFactory()
    fund(customer, minutes * offering.price_per_minute)
    return charges.session_charge(
        session=session_for(offering, customer), billable_seconds=minutes * 60
    )


def give_earnings(provider, yen: int) -> None:
    """Earnings for ``provider`` (a staff adjustment), so payouts can be requested."""
    from aizuchi.billing.services import charges

    charges.adjustment_post(
        user=staff_user(),
        target="earnings",
        owner_id=provider.pk,
        amount_yen=yen,
        reason="テスト用の売上",
        key=key("earn"),
    )


def earnings_yen(provider) -> int:
    return ledger.balance_yen(ledger.earnings(provider))


def payout_pending_yen(provider) -> int:
    return ledger.balance_yen(ledger.payout_pending(provider))
