"""The access policy's money part: every money reason a session cannot start, in both
languages, and what a prepaid session holds (the provider waits in open standby)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from aizuchi.access.policy import Action, access_check
from aizuchi.billing.models import Invoice
from aizuchi.billing.services import charges, invoices
from aizuchi.billing.tests.factories import OfferingFactory, fund, key, session_for
from aizuchi.storefront.models import Offering, Provider

pytestmark = pytest.mark.django_db


def _check(customer, offering):
    Provider.objects.filter(pk=offering.provider_id).update(presence_state="open")
    offering.provider.presence_state = "open"
    return access_check(
        customer=customer,
        provider=offering.provider,
        action=Action.for_channel(offering.channel),
        offering=offering,
    )


def test_a_funded_customer_may_start_and_the_hold_covers_the_cap(user):
    offering = OfferingFactory(price_per_minute=100, session_cap_minutes=20)
    fund(user, 5000)
    check = _check(user, offering)
    assert check.allowed
    assert check.hold_yen == 2000  # twenty minutes, not the whole balance
    assert check.affordable_seconds == 1200


def test_without_a_cap_the_whole_balance_is_held_and_the_meter_knows_when_it_ends(user):
    offering = OfferingFactory(price_per_minute=150)
    fund(user, 1000)
    check = _check(user, offering)
    assert check.hold_yen == 1000
    assert check.affordable_seconds == 6 * 60  # six whole minutes at ¥150


def test_a_balance_below_one_minute_is_refused_with_the_way_out(user):
    offering = OfferingFactory(price_per_minute=600)
    fund(user, 500)
    check = _check(user, offering)
    assert check.codes == ["insufficient_points"]
    assert check.reasons[0].url == "/billing/wallet/"
    with translation.override("ja"):
        assert "ポイント" in str(check.reasons[0].message)
    with translation.override("en"):
        assert str(check.reasons[0].message).startswith("One minute costs ¥600")


def test_free_first_minutes_let_a_newcomer_start_without_points(user):
    offering = OfferingFactory(price_per_minute=100, first_free_minutes=10)
    check = _check(user, offering)
    assert check.allowed
    assert check.affordable_seconds == 600


def test_an_overdue_invoice_blocks_new_sessions_with_that_provider_only(user):
    postpaid = OfferingFactory(price_per_minute=100, payment=Offering.Payment.POSTPAID)
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        charges.session_charge(session=session_for(postpaid, user), billable_seconds=600)
    check = _check(user, postpaid)
    assert check.codes == ["overdue_invoice"]
    invoice = Invoice.objects.get()
    assert check.reasons[0].url == f"/billing/invoices/{invoice.pk}/"
    assert _check(user, OfferingFactory(payment=Offering.Payment.POSTPAID)).allowed
    # settling it opens the door again
    fund(user, 1000)
    invoices.invoice_pay_from_points(
        customer=user, invoice_id=invoice.pk, amount_yen=1000, key=key()
    )
    assert _check(user, postpaid).allowed


def test_an_invoice_not_yet_due_does_not_block(user):
    postpaid = OfferingFactory(payment=Offering.Payment.POSTPAID)
    charges.session_charge(session=session_for(postpaid, user), billable_seconds=600)
    assert _check(user, postpaid).allowed


def test_reasons_add_up(user):
    offering = OfferingFactory(price_per_minute=100, is_active=False)
    check = _check(offering.provider.user, offering)
    assert check.codes == ["own_storefront", "offering_closed", "insufficient_points"]
    assert not check.allowed
