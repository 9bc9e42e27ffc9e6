"""The ledger: balanced entries only, cached balances equal to the postings, wallets that
never go negative, and idempotent operations, also when raced by threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Account, Entry, Payment, Posting
from aizuchi.billing.services import payments
from aizuchi.core.errors import Conflict
from aizuchi.core.models import Operation
from aizuchi.core.testing import database_url_for_tests
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import fund

pytestmark = pytest.mark.django_db


def test_an_entry_moves_money_between_accounts_and_the_caches_follow(user):
    wallet, clearing = ledger.wallet(user), ledger.gateway_clearing("manual")
    entry = ledger.entry_post(
        kind=Entry.Kind.PURCHASE, legs=[ledger.debit(clearing, 1500), ledger.credit(wallet, 1500)]
    )
    assert sorted(entry.postings.values_list("amount_yen", flat=True)) == [-1500, 1500]
    assert ledger.balance_yen(wallet) == ledger.balance_cached_yen(wallet) == 1500
    assert ledger.balance_yen(clearing) == 1500
    # the platform's accounts keep no cached balance: every charge touches them
    assert ledger.balance_cached_yen(clearing) == 0
    assert wallet.balance_yen == 1500  # the in-memory copy moved too


def test_an_unbalanced_entry_writes_nothing(user):
    wallet = ledger.wallet(user)
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            legs=[ledger.debit(ledger.promotions(), 100), ledger.credit(wallet, 99)],
        )
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.entry_post(kind=Entry.Kind.ADJUSTMENT, legs=[])
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            legs=[ledger.debit(ledger.promotions(), 1.5), ledger.credit(wallet, 1.5)],
        )
    assert Entry.objects.count() == Posting.objects.count() == 0
    assert ledger.balance_cached_yen(wallet) == 0


def test_legs_on_one_account_are_netted(user):
    wallet = ledger.wallet(user)
    promotions = ledger.promotions()
    entry = ledger.entry_post(
        kind=Entry.Kind.ADJUSTMENT,
        legs=[
            ledger.debit(promotions, 300),
            ledger.credit(wallet, 500),
            ledger.debit(promotions, 200),
            ledger.debit(ledger.hold_account(user), 0),
        ],
    )
    assert entry.postings.count() == 2
    assert ledger.balance_cached_yen(wallet) == 500


def test_a_wallet_never_goes_negative_and_the_refused_debit_leaves_no_trace(user):
    fund(user, 1000)
    wallet = ledger.wallet(user)
    entries_before = Entry.objects.count()
    with pytest.raises(ledger.InsufficientFunds) as refused:
        ledger.entry_post(
            kind=Entry.Kind.HOLD,
            legs=[ledger.debit(wallet, 1001), ledger.credit(ledger.hold_account(user), 1001)],
        )
    assert refused.value.code == "insufficient_funds"
    assert Entry.objects.count() == entries_before
    assert ledger.balance_cached_yen(wallet) == ledger.balance_yen(wallet) == 1000
    assert wallet.balance_yen == 1000
    assert ledger.balance_cached_yen(ledger.hold_account(user)) == 0


def test_the_database_itself_refuses_a_negative_wallet(user):
    wallet = ledger.wallet(user)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance_yen=-1)


def test_accounts_are_one_per_owner_and_kind(user):
    assert ledger.wallet(user).pk == ledger.wallet(user).pk
    assert ledger.wallet(user).pk != ledger.hold_account(user).pk
    assert ledger.gateway_clearing("manual").pk != ledger.gateway_clearing("test").pk
    assert Account.objects.filter(user=user, kind="wallet").count() == 1


def test_an_owners_accounts_are_made_together(user):
    """A customer's points, hold and receivable come together on first use (a booking's
    hold later finds its account made); a provider's earnings and payouts likewise."""
    ledger.wallet(user)
    assert sorted(Account.objects.filter(user=user).values_list("kind", flat=True)) == [
        "hold",
        "receivable",
        "wallet",
    ]
    provider = ProviderFactory()
    ledger.accounts_of(provider=provider, lock=True)
    assert sorted(Account.objects.filter(provider=provider).values_list("kind", flat=True)) == [
        "earnings",
        "payout_pending",
    ]


def test_movements_posted_together_stay_entries_of_their_own(user, django_assert_num_queries):
    """Several entries in three statements (entries, postings, balances), each balanced on
    its own and kept apart in the trail; each account's cache moves by their sum."""
    fund(user, 5000)
    wallet, hold = ledger.wallet(user), ledger.hold_account(user)
    earnings = ledger.earnings(ProviderFactory())
    commission = ledger.commission()
    moves = [
        ledger.movement(
            kind=Entry.Kind.HOLD, legs=[ledger.debit(wallet, 3000), ledger.credit(hold, 3000)]
        ),
        ledger.movement(
            kind=Entry.Kind.CHARGE,
            legs=[
                ledger.debit(hold, 1000),
                ledger.credit(earnings, 800),
                ledger.credit(commission, 200),
            ],
        ),
        ledger.movement(
            kind=Entry.Kind.RELEASE, legs=[ledger.debit(hold, 2000), ledger.credit(wallet, 2000)]
        ),
    ]
    with django_assert_num_queries(3 + 2):  # and the savepoint
        entries = ledger.entries_post(moves)
    assert [e.kind for e in entries] == ["hold", "charge", "release"]
    for entry, size in zip(entries, (2, 3, 2), strict=True):
        amounts = list(entry.postings.values_list("amount_yen", flat=True))
        assert len(amounts) == size
        assert sum(amounts) == 0
    for account, yen in ((wallet, 4000), (hold, 0), (earnings, 800)):
        assert ledger.balance_cached_yen(account) == ledger.balance_yen(account) == yen
        assert account.balance_yen == yen  # the callers' copies too


def test_movements_that_overdraw_together_write_nothing(user):
    fund(user, 1000)
    wallet, hold = ledger.wallet(user), ledger.hold_account(user)
    entries_before = Entry.objects.count()
    moves = [
        ledger.movement(
            kind=Entry.Kind.HOLD, legs=[ledger.debit(wallet, 600), ledger.credit(hold, 600)]
        )
        for _ in range(2)
    ]
    with pytest.raises(ledger.InsufficientFunds):
        ledger.entries_post(moves)
    assert Entry.objects.count() == entries_before
    assert ledger.balance_cached_yen(wallet) == wallet.balance_yen == 1000
    assert ledger.balance_cached_yen(hold) == 0


def test_balance_at_a_moment_counts_only_earlier_postings(user):
    import time_machine

    with time_machine.travel("2026-01-10 00:00 +0000", tick=False):
        fund(user, 1000)
    with time_machine.travel("2026-02-10 00:00 +0000", tick=False):
        fund(user, 500)
    from datetime import UTC, datetime

    wallet = ledger.wallet(user)
    assert ledger.balance_at_yen(wallet, datetime(2026, 2, 1, tzinfo=UTC)) == 1000
    assert ledger.balance_at_yen(wallet, datetime(2026, 3, 1, tzinfo=UTC)) == 1500


# --- idempotency ------------------------------------------------------------------------------


def test_the_same_key_twice_returns_the_first_result_and_moves_money_once(user):
    first = payments.points_purchase_start(
        customer=user, amount_yen=3000, gateway_code="manual", key="same-key-0000000001"
    )
    again = payments.points_purchase_start(
        customer=user, amount_yen="3000", gateway_code="manual", key="same-key-0000000001"
    )
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    payments.payment_settle(payment=first)
    payments.payment_settle(payment=again)
    assert ledger.balance_yen(ledger.wallet(user)) == 3000
    assert Entry.objects.filter(kind=Entry.Kind.PURCHASE).count() == 1


def test_the_same_key_with_other_parameters_is_refused(user):
    payments.points_purchase_start(
        customer=user, amount_yen=3000, gateway_code="manual", key="same-key-0000000002"
    )
    with pytest.raises(Conflict) as refused:
        payments.points_purchase_start(
            customer=user, amount_yen=5000, gateway_code="manual", key="same-key-0000000002"
        )
    assert refused.value.code == "idempotency_key_reused"
    with translation.override("en"):
        assert "different details" in str(refused.value.message)
    with translation.override("ja"):
        assert "別の内容" in str(refused.value.message)
    assert Payment.objects.get().amount_yen == 3000


def test_keys_are_per_person(user, other_user):
    mine = payments.points_purchase_start(
        customer=user, amount_yen=1000, gateway_code="manual", key="shared-key-00000001"
    )
    theirs = payments.points_purchase_start(
        customer=other_user, amount_yen=2000, gateway_code="manual", key="shared-key-00000001"
    )
    assert mine.pk != theirs.pk
    assert theirs.customer == other_user


def test_a_refused_operation_does_not_use_up_its_key(user):
    from aizuchi.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        payments.points_purchase_start(
            customer=user, amount_yen=1, gateway_code="manual", key="retry-key-000000001"
        )
    assert not Operation.objects.exists()
    payment = payments.points_purchase_start(
        customer=user, amount_yen=1000, gateway_code="manual", key="retry-key-000000001"
    )
    assert payment.amount_yen == 1000


RACERS = 8


@pytest.mark.django_db(transaction=True)
def test_the_same_key_from_many_threads_charges_once():
    customer = UserFactory()
    fund(customer, 10_000)
    from aizuchi.billing.services import holds

    barrier = threading.Barrier(RACERS)
    results, errors = [], []

    def place():
        try:
            barrier.wait()
            hold = holds.hold_place(
                customer=customer, amount_yen=4000, reference="race", key="race-hold-00000001"
            )
            results.append(hold.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=place) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == RACERS
    assert len(set(results)) == 1
    assert ledger.balance_yen(ledger.wallet(customer)) == 6000
    assert ledger.balance_yen(ledger.hold_account(customer)) == 4000
    assert Entry.objects.filter(kind=Entry.Kind.HOLD).count() == 1


CHARGE_IN_A_PROCESS = """
import sys, django
django.setup()
from django.contrib.auth import get_user_model
from aizuchi.billing.services import holds
customer = get_user_model().objects.get(pk=int(sys.argv[1]))
hold = holds.hold_place(customer=customer, amount_yen=2500, reference="proc", key=sys.argv[2])
print(hold.pk)
"""


@pytest.mark.django_db(transaction=True)
def test_the_same_key_from_several_processes_charges_once(tmp_path):
    customer = UserFactory()
    fund(customer, 10_000)
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_tests(),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    script = tmp_path / "charge.py"
    script.write_text(CHARGE_IN_A_PROCESS)
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(customer.pk), "proc-key-0000000001"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert len({out.strip() for out, _err in outputs}) == 1
    assert ledger.balance_yen(ledger.wallet(customer)) == 7500
    assert Entry.objects.filter(kind=Entry.Kind.HOLD).count() == 1
