"""Commission rates and payouts: request, withdraw, approve, send, reject."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import translation

from aizuchi.billing import ledger
from aizuchi.billing.models import CommissionRate, Entry, PayoutRequest
from aizuchi.billing.services import charges, payouts
from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.notifications.models import Notification

from .factories import OfferingFactory, key, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    provider = OfferingFactory().provider
    charges.adjustment_post(
        user=staff_user(),
        target="earnings",
        owner_id=provider.pk,
        amount_yen=10_000,
        reason="テスト用の売上",
        key=key(),
    )
    return provider


def _request(provider, amount):
    return payouts.payout_request(
        provider=provider, user=provider.user, amount_yen=amount, key=key()
    )


def _balances(provider):
    return (
        ledger.balance_yen(ledger.earnings(provider)),
        ledger.balance_yen(ledger.payout_pending(provider)),
    )


def test_a_payout_goes_from_request_to_approval_to_the_bank(provider):
    payout = _request(provider, 8000)
    assert _balances(provider) == (2000, 8000)
    staff = staff_user()
    payouts.payout_approve(user=staff, payout_id=payout.pk)
    paid = payouts.payout_mark_paid(user=staff, payout_id=payout.pk, reference="振込 12/3")
    assert (paid.status, paid.reference) == ("paid", "振込 12/3")
    assert _balances(provider) == (2000, 0)
    assert ledger.balance_yen(ledger.gateway_clearing("manual")) == -8000
    assert Notification.objects.filter(user=provider.user, kind="payout_paid").exists()
    with pytest.raises(Conflict):
        payouts.payout_mark_paid(user=staff, payout_id=payout.pk)
    assert Entry.objects.filter(kind=Entry.Kind.PAYOUT_PAID).count() == 1


def test_the_same_yen_cannot_be_requested_twice(provider):
    _request(provider, 6000)
    with pytest.raises(InvalidInput) as refused:
        _request(provider, 6000)
    assert "4,000円" in str(refused.value.errors["amount_yen"][0])
    assert PayoutRequest.objects.count() == 1


@pytest.mark.parametrize("amount", [0, 999, 10_001, "abc", None])
def test_payout_amounts_are_checked(provider, amount):
    with pytest.raises(InvalidInput):
        _request(provider, amount)
    assert _balances(provider) == (10_000, 0)


def test_a_payout_below_the_minimum_is_explained(provider, settings):
    charges.adjustment_post(
        user=staff_user(),
        target="earnings",
        owner_id=provider.pk,
        amount_yen=-9500,
        reason="訂正",
        key=key(),
    )
    with pytest.raises(InvalidInput) as refused:
        _request(provider, 500)
    with translation.override("en"):
        message = str(refused.value.errors["amount_yen"][0])
    assert message == "You have ¥500 to pay out; the smallest payout is ¥1,000."


def test_withdrawing_or_rejecting_returns_the_money(provider):
    first = _request(provider, 3000)
    payouts.payout_cancel(provider=provider, user=provider.user, payout_id=first.pk)
    assert _balances(provider) == (10_000, 0)
    second = _request(provider, 4000)
    with pytest.raises(InvalidInput):
        payouts.payout_reject(user=staff_user(), payout_id=second.pk, note="")
    rejected = payouts.payout_reject(
        user=staff_user(), payout_id=second.pk, note="口座名義が違います"
    )
    assert rejected.note == "口座名義が違います"
    assert _balances(provider) == (10_000, 0)
    with pytest.raises(Conflict):
        payouts.payout_cancel(provider=provider, user=provider.user, payout_id=second.pk)
    assert Notification.objects.filter(user=provider.user, kind="payout_rejected").exists()


def test_only_the_provider_withdraws_and_only_staff_decide(provider):
    payout = _request(provider, 3000)
    other = OfferingFactory().provider
    with pytest.raises(NotFound):
        payouts.payout_cancel(provider=other, user=other.user, payout_id=payout.pk)
    for decide in (payouts.payout_approve, payouts.payout_mark_paid):
        with pytest.raises(NotFound):
            decide(user=provider.user, payout_id=payout.pk)
    with pytest.raises(Conflict):  # not approved yet
        payouts.payout_mark_paid(user=staff_user(), payout_id=payout.pk)
    assert PayoutRequest.objects.get().status == "requested"


@pytest.mark.django_db(transaction=True)
def test_racing_requests_never_spend_more_than_the_earnings():
    provider = OfferingFactory().provider
    charges.adjustment_post(
        user=staff_user(),
        target="earnings",
        owner_id=provider.pk,
        amount_yen=10_000,
        reason="テスト",
        key=key(),
    )
    barrier = threading.Barrier(4)
    outcomes = []

    def request():
        try:
            barrier.wait()
            _request(provider, 4000)
            outcomes.append("ok")
        except InvalidInput:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "ok", "refused", "refused"]
    assert _balances(provider) == (2000, 8000)


def test_staff_set_a_providers_commission_in_percent(provider):
    staff = staff_user()
    rate = payouts.commission_rate_set(user=staff, provider_id=provider.pk, rate_percent="12.5")
    assert rate.rate_bp == 1250
    payouts.commission_rate_set(user=staff, provider_id=str(provider.pk), rate_percent="0")
    assert CommissionRate.objects.get().rate_bp == 0
    payouts.commission_rate_set(user=staff, provider_id=provider.pk, rate_percent="")
    assert not CommissionRate.objects.exists()
    for bad in ("101", "-1", "12.345", "abc", "1e2"):
        with pytest.raises(InvalidInput):
            payouts.commission_rate_set(user=staff, provider_id=provider.pk, rate_percent=bad)
    with pytest.raises(InvalidInput):
        payouts.commission_rate_set(user=staff, provider_id="nope", rate_percent="10")
    with pytest.raises(NotFound):
        payouts.commission_rate_set(user=provider.user, provider_id=provider.pk, rate_percent="0")
    assert not CommissionRate.objects.exists()


def _account_set(provider, *, bank, number):
    return payouts.payout_account_set(
        provider=provider,
        bank_name=bank,
        branch_name="本店",
        kind="ordinary",
        number=number,
        holder="ヤマダ ハナコ",
    )


def test_staff_pay_to_the_account_as_it_was_when_the_payout_was_requested(
    provider, mailoutbox, django_capture_on_commit_callbacks
):
    from aizuchi.billing import selectors

    with django_capture_on_commit_callbacks(execute=True):
        _account_set(provider, bank="あいづち銀行", number="1234567")
    payout = _request(provider, 8000)
    payouts.payout_approve(user=staff_user(), payout_id=payout.pk)
    # Someone in the provider's session changes the account after the approval.
    with django_capture_on_commit_callbacks(execute=True):
        _account_set(provider, bank="よそ銀行", number="7654321")

    [shown] = selectors.payouts_open()
    assert (shown.account_bank_name, shown.account_number) == ("あいづち銀行", "1234567")
    assert (shown.account_kind, shown.account_holder) == ("ordinary", "ヤマダ ハナコ")
    # The provider hears of both: registered, then changed, in the inbox and by e-mail.
    kinds = list(
        Notification.objects.filter(user=provider.user)
        .filter(kind__startswith="payout_account")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["payout_account_registered", "payout_account_changed"]
    assert [mail.to for mail in mailoutbox] == [[provider.user.email]] * 2
    assert "よそ銀行" in mailoutbox[1].body
    assert "7654321" not in mailoutbox[1].body  # only the end of the number


def test_a_request_made_with_no_account_registered_carries_none(provider):
    payout = _request(provider, 8000)
    _account_set(provider, bank="あいづち銀行", number="1234567")
    payout.refresh_from_db()
    assert not payout.has_account
