"""A hypothesis state machine over every money operation.

Whatever sequence of purchases, holds, charges, releases, invoices, payments, refunds,
adjustments and payouts it tries, after every step: each entry balances, each cached
balance equals the sum of its postings, no wallet, hold or payout in progress is below
zero, and the ledger agrees with the records that explain it (open holds, open invoices,
payouts in progress, refunds within their charges).
"""

from __future__ import annotations

import pytest
from django.db.models import F, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import (
    NON_NEGATIVE_KINDS,
    PLATFORM_KINDS,
    Account,
    AccountKind,
    Charge,
    Hold,
    Invoice,
    PayoutRequest,
    Posting,
)
from aizuchi.billing.services import charges, holds, invoices, payments, payouts
from aizuchi.core.errors import Conflict, InvalidInput
from aizuchi.core.testing import RolledBack
from aizuchi.storefront.models import Offering

from .factories import OfferingFactory, key, session_for

CUSTOMERS, PROVIDERS = 3, 2
yen = st.integers(1, 6000)


class LedgerMachine(RolledBack, RuleBasedStateMachine):
    holds = Bundle("holds")
    charges = Bundle("charges")
    invoices = Bundle("invoices")
    payouts = Bundle("payouts")

    @initialize()
    def setup(self):
        self.begin()  # each run in its own savepoint, rolled back at teardown
        self.staff = UserFactory(is_staff=True)
        self.customers = [UserFactory() for _ in range(CUSTOMERS)]
        self.offerings = []
        for index in range(PROVIDERS):
            prepaid = OfferingFactory(
                price_per_minute=60 + 40 * index, first_free_minutes=index * 3
            )
            postpaid = OfferingFactory(
                provider=prepaid.provider,
                channel=Offering.Channel.VOICE,
                price_per_minute=90,
                payment=Offering.Payment.POSTPAID,
                first_free_minutes=5,
                first_session_cap_minutes=20,
            )
            self.offerings += [prepaid, postpaid]

    # --- helpers ---
    def wallet(self, customer) -> int:
        return ledger.balance_cached_yen(ledger.wallet(customer))

    def customer(self, index):
        return self.customers[index % CUSTOMERS]

    def offering(self, index):
        return self.offerings[index % len(self.offerings)]

    # --- rules ---
    @rule(
        who=st.integers(0, 9),
        amount=st.integers(500, 20_000),
        gateway=st.sampled_from(["manual", "test"]),
    )
    def buy_points(self, who, amount, gateway):
        customer = self.customer(who)
        before = self.wallet(customer)
        payment = payments.points_purchase_start(
            customer=customer, amount_yen=amount, gateway_code=gateway, key=key()
        )
        payments.payment_settle(payment=payment, settled_by=self.staff)
        payments.payment_settle(payment=payment, settled_by=self.staff)  # a repeat is harmless
        assert self.wallet(customer) == before + amount

    @rule(who=st.integers(0, 9), amount=st.integers(500, 20_000))
    def abandon_a_payment(self, who, amount):
        customer = self.customer(who)
        before = self.wallet(customer)
        payment = payments.points_purchase_start(
            customer=customer, amount_yen=amount, gateway_code="manual", key=key()
        )
        payments.payment_refuse(user=self.staff, payment_id=payment.pk)
        assert self.wallet(customer) == before

    @rule(target=holds, who=st.integers(0, 9), amount=yen, where=st.integers(0, 9))
    def place_hold(self, who, amount, where):
        customer = self.customer(who)
        before = self.wallet(customer)
        try:
            hold = holds.hold_place(
                customer=customer,
                amount_yen=amount,
                provider=self.offering(where).provider,
                key=key(),
            )
        except ledger.InsufficientFunds:
            assert before < amount
            assert self.wallet(customer) == before
            return None
        assert self.wallet(customer) == before - amount
        return hold

    @rule(hold=holds, amount=yen)
    def top_up_hold(self, hold, amount):
        if hold is None:
            return
        before = self.wallet(hold.customer)
        try:
            holds.hold_increase(hold=hold, amount_yen=amount)
        except (ledger.InsufficientFunds, Conflict):
            assert self.wallet(hold.customer) == before
        else:
            assert self.wallet(hold.customer) == before - amount

    @rule(hold=holds)
    def release_hold(self, hold):
        if hold is None:
            return
        before = self.wallet(hold.customer)
        remaining = Hold.objects.get(pk=hold.pk).remaining_yen
        holds.hold_release(hold=hold)
        holds.hold_release(hold=hold)  # idempotent
        assert self.wallet(hold.customer) == before + remaining

    @rule(
        target=charges,
        who=st.integers(0, 9),
        where=st.integers(0, 9),
        seconds=st.integers(0, 2 * 3600),
        hold=st.none() | holds,
    )
    def end_a_session(self, who, where, seconds, hold):
        offering = self.offering(where)
        customer = self.customer(who)
        if hold is not None and (
            hold.customer_id != customer.pk or Hold.objects.get(pk=hold.pk).status == "closed"
        ):
            hold = None
        session = session_for(offering, customer, seconds=seconds)
        charge = charges.session_charge(session=session, billable_seconds=seconds, hold=hold)
        assert (
            charges.session_charge(session=session, billable_seconds=seconds, hold=hold).pk
            == charge.pk
        )
        if hold is not None:
            assert Hold.objects.get(pk=hold.pk).status == "closed"
        return charge

    @rule(target=invoices, charge=charges)
    def an_invoice(self, charge):
        return Invoice.objects.filter(charge=charge).first()

    @rule(invoice=invoices, amount=yen, with_points=st.booleans())
    def pay_invoice(self, invoice, amount, with_points):
        if invoice is None:
            return
        invoice.refresh_from_db()
        customer = invoice.customer
        before = self.wallet(customer)
        try:
            if with_points:
                invoices.invoice_pay_from_points(
                    customer=customer, invoice_id=invoice.pk, amount_yen=amount, key=key()
                )
            else:
                payment = payments.invoice_payment_start(
                    customer=customer,
                    invoice_id=invoice.pk,
                    amount_yen=amount,
                    gateway_code="manual",
                    key=key(),
                )
                payments.payment_confirm(user=invoice.provider.user, payment_id=payment.pk)
        except (InvalidInput, Conflict, ledger.InsufficientFunds):
            assert self.wallet(customer) == before
            return
        if with_points:
            assert self.wallet(customer) == before - amount

    @rule(charge=charges, amount=yen)
    def refund(self, charge, amount):
        try:
            charges.charge_refund(
                user=self.staff, charge_id=charge.pk, amount_yen=amount, reason="検証", key=key()
            )
        except (InvalidInput, Conflict):
            charge.refresh_from_db()
            assert amount > charge.amount_yen - charge.refunded_yen

    @rule(
        who=st.integers(0, 9),
        amount=st.integers(-5000, 5000).filter(bool),
        on_wallet=st.booleans(),
    )
    def adjust(self, who, amount, on_wallet):
        owner = self.customer(who) if on_wallet else self.offering(who).provider
        try:
            charges.adjustment_post(
                user=self.staff,
                target="wallet" if on_wallet else "earnings",
                owner_id=owner.pk,
                amount_yen=amount,
                reason="検証",
                key=key(),
            )
        except ledger.InsufficientFunds:
            assert on_wallet
            assert self.wallet(owner) < -amount

    @rule(target=payouts, where=st.integers(0, 9), amount=st.integers(1000, 8000))
    def request_payout(self, where, amount):
        provider = self.offering(where).provider
        try:
            return payouts.payout_request(
                provider=provider, user=provider.user, amount_yen=amount, key=key()
            )
        except InvalidInput:
            assert ledger.balance_cached_yen(ledger.earnings(provider)) < amount
            return None

    @rule(payout=payouts, decision=st.sampled_from(["cancel", "approve", "paid", "reject"]))
    def decide_payout(self, payout, decision):
        if payout is None:
            return
        try:
            if decision == "cancel":
                payouts.payout_cancel(
                    provider=payout.provider, user=payout.provider.user, payout_id=payout.pk
                )
            elif decision == "approve":
                payouts.payout_approve(user=self.staff, payout_id=payout.pk)
            elif decision == "paid":
                payouts.payout_mark_paid(user=self.staff, payout_id=payout.pk)
            else:
                payouts.payout_reject(user=self.staff, payout_id=payout.pk, note="検証")
        except Conflict:
            pass

    # --- invariants ---
    @invariant()
    def every_entry_balances(self):
        unbalanced = (
            Posting.objects.values("entry").annotate(total=Sum("amount_yen")).exclude(total=0)
        )
        assert not unbalanced.exists()

    @invariant()
    def cached_balances_equal_the_postings(self):
        for account in Account.objects.exclude(kind__in=PLATFORM_KINDS):
            assert account.balance_yen == ledger.balance_yen(account), account
        # the platform's accounts keep none (every charge touches them)
        assert not Account.objects.filter(kind__in=PLATFORM_KINDS).exclude(balance_yen=0).exists()

    @invariant()
    def nothing_that_must_not_is_negative(self):
        assert not Account.objects.filter(kind__in=NON_NEGATIVE_KINDS, balance_yen__lt=0).exists()

    @invariant()
    def the_records_agree_with_the_ledger(self):
        for customer in getattr(self, "customers", []):
            open_holds = Hold.objects.filter(customer=customer, status="open")
            held = sum(hold.remaining_yen for hold in open_holds)
            assert ledger.balance_cached_yen(ledger.hold_account(customer)) == held
            owed = sum(i.outstanding_yen for i in Invoice.objects.filter(customer=customer))
            assert ledger.balance_cached_yen(ledger.receivable(customer)) == owed
        for offering in getattr(self, "offerings", []):
            provider = offering.provider
            pending = PayoutRequest.objects.filter(
                provider=provider, status__in=["requested", "approved"]
            ).aggregate(total=Sum("amount_yen"))["total"]
            assert ledger.balance_cached_yen(ledger.payout_pending(provider)) == (pending or 0)
        assert not Charge.objects.filter(refunded_yen__gt=F("amount_yen")).exists()
        assert not Account.objects.filter(kind=AccountKind.HOLD, balance_yen__lt=0).exists()


@pytest.mark.django_db
def test_any_sequence_of_money_operations_keeps_the_books_straight():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
