"""A hypothesis state machine over messages: sends (free and paid, at the price shown or a
stale one), resends, policy changes, blocks and unblocks, refunds and top-ups, against a
model of what the provider's policy allows.

After every step: the service did exactly what the model expected (stored, priced and
charged, or refused for the model's reason with nothing stored); never more free messages
than the allowance at the moment each was sent; every paid message charged exactly once, at
its price, and every message charge belongs to a message; the ledger nets to zero and each
cached balance is the sum of its postings; each wallet is what was put in less what
messages cost plus what was refunded.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.db.models import Sum
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from hypothesis.stateful import run_state_machine_as_test as run

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import PLATFORM_KINDS, Account, Charge, Posting
from aizuchi.billing.tests.factories import fund
from aizuchi.core.errors import Conflict, Refused
from aizuchi.core.testing import RolledBack
from aizuchi.messaging.models import Message
from aizuchi.messaging.services import threads
from aizuchi.relationships.services import relationship_block, relationship_unblock
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import message_policy

CUSTOMERS = 2
_keys = itertools.count(1)


@dataclass
class Policy:
    mode: str = "free"
    free_count: int = 1
    price: int = 0


@dataclass
class Person:
    wallet: int = 0
    free_used: int = 0
    blocked: bool = False
    paid: dict[int, int] = field(default_factory=dict)  # message id -> price, unrefunded
    put_in: int = 0
    spent: int = 0
    refunded: int = 0


class MessagesMachine(RolledBack, RuleBasedStateMachine):
    sent = Bundle("sent")  # (customer index, client id)

    @initialize()
    def setup(self):
        self.begin()
        self.limits = override_settings(
            AIZUCHI_MESSAGING={**django_settings.AIZUCHI_MESSAGING, "SEND_RATES": [[10**6, 60]]}
        )
        self.limits.enable()
        self.provider = ProviderFactory()
        self.customers = [UserFactory() for _ in range(CUSTOMERS)]
        self.people = [Person() for _ in range(CUSTOMERS)]
        self.policy = Policy()
        self.stored: dict[str, int] = {}  # client id -> the message stored under it
        self._apply_policy()

    def teardown(self):
        if hasattr(self, "limits"):
            self.limits.disable()
        super().teardown()

    def _apply_policy(self):
        # Both audiences alike: nobody here completes a session, but the model need not care.
        for audience in ("newcomers", "regulars"):
            message_policy(
                self.provider,
                audience,
                mode=self.policy.mode,
                free_count=self.policy.free_count,
                free_period="total",
                price_yen=self.policy.price,
                payment="prepaid",
            )

    def _expected(self, person: Person) -> tuple[str | None, int]:
        """(the refusal's code, or None when it is sent; its price)."""
        if person.blocked:
            return "blocked", 0
        policy = self.policy
        if policy.mode == "closed":
            return "messages_closed", 0
        price = policy.price if policy.mode == "paid" else 0
        if policy.mode == "free" and person.free_used >= policy.free_count:
            if not policy.price:
                return "free_messages_used", 0
            price = policy.price
        if price and person.wallet < price:
            return "insufficient_points", price
        return None, price

    # --- rules ---------------------------------------------------------------------------

    @rule(
        target=sent,
        who=st.integers(0, CUSTOMERS - 1),
        stale=st.sampled_from([None, None, None, 0, 50, 999]),
    )
    def send(self, who, stale):
        person, customer = self.people[who], self.customers[who]
        code, price = self._expected(person)
        shown = price if stale is None else stale
        key = f"m{next(_keys)}"
        before = Message.objects.count(), Charge.objects.count()
        refused: list[str] = []
        try:
            message, created = threads.message_send_to_provider(
                customer=customer,
                provider_id=self.provider.pk,
                text="相談です",
                client_id=key,
                price_yen=shown,
            )
        except Refused as exc:
            refused = exc.codes
        if refused:
            assert (Message.objects.count(), Charge.objects.count()) == before
            # Only the model's reason, or a price other than the one the page would show.
            assert refused == [code] if code else (shown != price and refused == ["price_changed"])
            return (who, key)
        assert code is None, f"sent although the model says {code}"
        assert created
        assert shown == price, (shown, price)
        assert message.price_yen == price
        if price:
            person.wallet -= price
            person.spent += price
            person.paid[message.pk] = price
            assert not message.free
        else:
            assert message.free
            assert person.free_used < self.policy.free_count  # within the allowance
            person.free_used += 1
        self.stored[key] = message.pk
        return (who, key)

    @rule(entry=sent)
    def resend(self, entry):
        who, key = entry
        message_id = self.stored.get(key)
        before = Message.objects.count(), Charge.objects.count()
        try:
            message, created = threads.message_send_to_provider(
                customer=self.customers[who],
                provider_id=self.provider.pk,
                text="もう一度",
                client_id=key,
                price_yen=self.policy.price or None,
            )
        except Refused:
            assert message_id is None  # the first was refused: nothing was stored under it
            assert (Message.objects.count(), Charge.objects.count()) == before
            return
        if message_id is None:
            # The first try was refused; this one is a new message (the model updates).
            person = self.people[who]
            assert created
            if message.price_yen:
                person.wallet -= message.price_yen
                person.spent += message.price_yen
                person.paid[message.pk] = message.price_yen
            else:
                assert person.free_used < self.policy.free_count
                person.free_used += 1
            self.stored[key] = message.pk
            return
        assert not created
        assert message.pk == message_id
        assert (Message.objects.count(), Charge.objects.count()) == before

    @rule(
        mode=st.sampled_from(["free", "paid", "closed"]),
        free_count=st.integers(0, 3),
        price=st.sampled_from([0, 100, 300]),
    )
    def change_policy(self, mode, free_count, price):
        if mode == "paid" and not price:
            price = 100
        self.policy = Policy(mode=mode, free_count=free_count, price=price)
        self._apply_policy()

    @rule(who=st.integers(0, CUSTOMERS - 1), blocked=st.booleans())
    def block(self, who, blocked):
        pair = {"provider_id": self.provider.pk, "customer_id": self.customers[who].pk}
        if blocked:
            relationship_block(**pair, by=self.provider.user)
        else:
            relationship_unblock(**pair)
        self.people[who].blocked = blocked

    @rule(who=st.integers(0, CUSTOMERS - 1))
    def top_up(self, who):
        fund(self.customers[who], 500)
        self.people[who].wallet += 500
        self.people[who].put_in += 500

    @rule(who=st.integers(0, CUSTOMERS - 1), data=st.data())
    def refund(self, who, data):
        person = self.people[who]
        if not person.paid:
            return
        message_id = data.draw(st.sampled_from(sorted(person.paid)))
        threads.message_refund(user=self.provider.user, message_id=message_id)
        price = person.paid.pop(message_id)
        person.wallet += price
        person.refunded += price
        with pytest.raises(Conflict):
            threads.message_refund(user=self.provider.user, message_id=message_id)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def each_paid_message_is_charged_once(self):
        if not hasattr(self, "provider"):
            return
        paid = dict(Message.objects.filter(price_yen__gt=0).values_list("pk", "price_yen"))
        charged = list(
            Charge.objects.filter(message_id__isnull=False).values_list("message_id", "amount_yen")
        )
        assert sorted(charged) == sorted(paid.items())
        assert not Message.objects.filter(price_yen__gt=0, charge__isnull=True).exists()

    @invariant()
    def the_ledger_balances(self):
        if not hasattr(self, "provider"):
            return
        assert Posting.objects.aggregate(total=Sum("amount_yen"))["total"] in (0, None)
        for account in Account.objects.exclude(kind__in=PLATFORM_KINDS):
            assert account.balance_yen == ledger.balance_yen(account), account
        for customer, person in zip(self.customers, self.people, strict=True):
            wallet = ledger.balance_yen(ledger.wallet(customer))
            assert wallet == person.wallet == person.put_in - person.spent + person.refunded

    @invariant()
    def free_messages_never_exceed_what_was_allowed(self):
        if not hasattr(self, "provider"):
            return
        for customer, person in zip(self.customers, self.people, strict=True):
            free = Message.objects.filter(thread__customer=customer, free=True).count()
            assert free == person.free_used


@pytest.mark.django_db
def test_any_sequence_of_sends_resends_policies_blocks_and_refunds_keeps_to_the_policy():
    run(
        MessagesMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
