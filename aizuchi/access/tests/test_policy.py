"""The one access policy, branch by branch: one row per branch, each with the exact
reasons, the next steps offered, and nothing written while deciding.

The facts are set up the way the domains that own them leave them (the relationship row
through its services, the presence column, points and invoices through billing); booking
facts are what the caller passes in, so access is tested without the booking domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from aizuchi.access.models import AccessPolicy
from aizuchi.access.policy import Action, BookingFacts, access_check, access_facts
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.models import Invoice
from aizuchi.billing.tests.factories import OfferingFactory, fund, postpaid_invoice
from aizuchi.relationships.services import (
    relationship_block,
    relationship_drop_in_answered,
    relationship_invite,
    relationship_session_completed,
    relationship_tier_set,
)
from aizuchi.storefront.models import Offering, Provider

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """A provider waiting in open standby with a ¥100-a-minute prepaid chat, and a customer
    with ¥5,000 in points who is new to them."""

    offering: Offering
    customer: object
    facts: BookingFacts = field(default_factory=BookingFacts)
    action: Action = Action.CHAT

    @property
    def provider(self) -> Provider:
        return self.offering.provider

    @property
    def pair(self) -> dict:
        return {"provider_id": self.provider.pk, "customer_id": self.customer.pk}


def _state(world: World, state: str) -> None:
    Provider.objects.filter(pk=world.provider.pk).update(presence_state=state)
    world.provider.presence_state = state


def _policy(world: World, **values) -> None:
    AccessPolicy.objects.create(provider=world.provider, **values)


def _regular(world: World) -> None:
    relationship_session_completed(**world.pair)


def _overdue(world: World) -> None:
    postpaid = OfferingFactory(provider=world.provider, channel="voice", payment="postpaid")
    invoice = postpaid_invoice(world.customer, postpaid)
    past = timezone.now() - timedelta(days=8)
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=past, due_at=past + timedelta(days=7))


def _blocked(world: World) -> None:
    relationship_block(**world.pair, by=world.provider.user)


def _invited(world: World) -> None:
    now = timezone.now()
    relationship_invite(
        **world.pair, valid_from=now - timedelta(minutes=1), valid_until=now + timedelta(minutes=29)
    )


def _tier(level: int) -> Callable[[World], None]:
    def setup(world: World) -> None:
        relationship_tier_set(**world.pair, tier=level)

    return setup


def _no_points(world: World) -> None:
    world.customer = UserFactory()


def _own(world: World) -> None:
    world.customer = world.provider.user
    fund(world.customer, 5000)


def _booked_now(world: World) -> None:
    world.facts = BookingFacts(mine_now=True, mine_offering_id=world.offering.pk)


def _reserved(minutes_ago: int, *, used: bool = False) -> Callable[[World], None]:
    def setup(world: World) -> None:
        start = timezone.now() - timedelta(minutes=minutes_ago)
        world.facts = BookingFacts(reserved_start_at=start, reserved_used=used)

    return setup


def _drop_ins(count: int, days_ago: float) -> Callable[[World], None]:
    def setup(world: World) -> None:
        for n in range(count):
            relationship_drop_in_answered(
                **world.pair,
                session_id=1000 + n,
                requested_at=timezone.now() - timedelta(days=days_ago),
            )

    return setup


def _book(slot_minutes: int = 30) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.action = Action.BOOK
        world.facts = BookingFacts(slot_seconds=slot_minutes * 60)

    return setup


def _bookings(count: int) -> Callable[[World], None]:
    def setup(world: World) -> None:
        from aizuchi.relationships.services import relationship_booking_made

        for n in range(count):
            relationship_booking_made(
                **world.pair, booking_id=2000 + n, created_at=timezone.now() - timedelta(days=1)
            )

    return setup


def _closed(world: World) -> None:
    Offering.objects.filter(pk=world.offering.pk).update(is_active=False)
    world.offering.is_active = False


def _postpaid(world: World) -> None:
    Offering.objects.filter(pk=world.offering.pk).update(payment="postpaid")
    world.offering.payment = "postpaid"


BOOK, MESSAGE, FAVOURITE, PAY, BUY = "book", "message", "favourite", "pay_invoice", "buy_points"
# Someone who cannot talk now may book, write a message (it reaches a busy provider), or
# keep the provider as a favourite.
BOOK_STEPS = [BOOK, MESSAGE, FAVOURITE]

# (name, setups, expected codes, expected next steps, by appointment)
ROWS = [
    ("a newcomer drops in", [], [], [], False),
    ("own storefront", [_own], ["own_storefront"], [], False),
    ("offer closed", [_closed], ["offering_closed"], [], False),
    ("blocked hears only that", [_no_points, _blocked, _overdue], ["blocked"], [], False),
    ("blocked even when booked", [_blocked, _booked_now], ["blocked"], [], False),
    ("offline", [lambda w: _state(w, "offline")], ["offline"], BOOK_STEPS, False),
    ("away", [lambda w: _state(w, "away")], ["away"], BOOK_STEPS, False),
    ("busy", [lambda w: _state(w, "in_session")], ["busy"], BOOK_STEPS, False),
    ("booked now, open standby", [_booked_now], [], [], True),
    (
        "booked now, appointment standby",
        [_booked_now, lambda w: _state(w, "appointment")],
        [],
        [],
        True,
    ),  # noqa: E501
    ("booked now needs no points", [_no_points, _booked_now], [], [], True),
    ("invited, appointment standby", [_invited, lambda w: _state(w, "appointment")], [], [], True),
    ("an invitation in open standby is a drop-in", [_invited], [], [], False),
    (
        "a tier invited to appointment standby",
        [_tier(1), lambda w: _policy(w, invited_tiers=2), lambda w: _state(w, "appointment")],
        [],
        [],
        True,
    ),
    (
        "a tier beyond the invited ones",
        [_tier(3), lambda w: _policy(w, invited_tiers=2), lambda w: _state(w, "appointment")],
        ["appointment_only"],
        BOOK_STEPS,
        False,
    ),
    (
        "a tier, but no tiers invited",
        [_tier(1), lambda w: _state(w, "appointment")],
        ["appointment_only"],
        BOOK_STEPS,
        False,
    ),
    (
        "a blocked tier hears only that",
        [
            _tier(1),
            _blocked,
            lambda w: _policy(w, invited_tiers=4),
            lambda w: _state(w, "appointment"),
        ],
        ["blocked"],
        [],
        False,
    ),
    ("someone else's reservation now", [_reserved(5)], ["reserved_now"], BOOK_STEPS, False),
    (
        "an unused reservation opens after N minutes",
        [_reserved(20), lambda w: _policy(w, appointment_opens_after_minutes=15)],
        [],
        [],
        False,
    ),
    (
        "not before N minutes",
        [_reserved(10), lambda w: _policy(w, appointment_opens_after_minutes=15)],
        ["reserved_now"],
        BOOK_STEPS,
        False,
    ),
    (
        "a used reservation stays closed",
        [_reserved(20, used=True), lambda w: _policy(w, appointment_opens_after_minutes=15)],
        ["reserved_now"],
        BOOK_STEPS,
        False,
    ),
    (
        "appointment standby without a booking",
        [lambda w: _state(w, "appointment")],
        ["appointment_only"],
        BOOK_STEPS,
        False,
    ),
    (
        "newcomers by reservation",
        [lambda w: _policy(w, newcomers_by_reservation=True)],
        ["newcomers_by_reservation"],
        BOOK_STEPS,
        False,
    ),
    (
        "a regular may drop in when newcomers book",
        [_regular, lambda w: _policy(w, newcomers_by_reservation=True)],
        [],
        [],
        False,
    ),
    (
        "regulars by appointment",
        [_regular, lambda w: _policy(w, regulars_drop_in=False)],
        ["regulars_by_appointment"],
        BOOK_STEPS,
        False,
    ),
    (
        "the weekly drop-in cap",
        [_drop_ins(2, 1), lambda w: _policy(w, drop_ins_per_week=2)],
        ["drop_in_limit"],
        BOOK_STEPS,
        False,
    ),
    (
        "drop-ins of last week do not count",
        [_drop_ins(2, 8), lambda w: _policy(w, drop_ins_per_week=2)],
        [],
        [],
        False,
    ),
    ("overdue invoice", [_overdue], ["overdue_invoice"], [PAY], False),
    ("points for a minute", [_no_points], ["insufficient_points"], [BUY], False),
    ("postpaid needs no points", [_no_points, _postpaid], [], [], False),
    (
        "state and money reasons together",
        [_no_points, lambda w: _state(w, "away"), _overdue],
        ["away", "overdue_invoice", "insufficient_points"],
        [PAY, BUY, BOOK, MESSAGE, FAVOURITE],
        False,
    ),
    # Booking a time.
    ("book", [_book()], [], [], False),
    ("book: own storefront is all", [_book(), _own, _overdue], ["own_storefront"], [], False),
    ("book: blocked is all", [_book(), _blocked, _overdue], ["blocked"], [], False),
    (
        "book: the weekly booking cap",
        [_book(), _bookings(1), lambda w: _policy(w, bookings_per_week=1)],
        ["bookings_limit"],
        [],
        False,
    ),
    ("book: overdue invoice", [_book(), _overdue], ["overdue_invoice"], [PAY], False),
    ("book: points for the slot", [_book(60), _no_points], ["insufficient_points"], [BUY], False),
    ("book: in any presence state", [_book(), lambda w: _state(w, "offline")], [], [], False),
]


def _writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]


@pytest.mark.parametrize(
    ("setups", "codes", "steps", "by_appointment"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_each_branch_of_the_policy(setups, codes, steps, by_appointment):
    offering = OfferingFactory(price_per_minute=100)
    customer = UserFactory()
    fund(customer, 5000)
    world = World(offering=offering, customer=customer)
    _state(world, "open")
    for setup in setups:
        setup(world)
    with CaptureQueriesContext(connection) as queries:
        decision = access_check(
            customer=world.customer,
            provider=world.provider,
            action=world.action,
            offering=world.offering,
            booking_facts=world.facts,
        )
    assert decision.codes == codes
    assert decision.allowed == (not codes)
    assert [step.code for step in decision.next_steps] == steps
    assert decision.by_appointment is by_appointment
    assert _writes(queries.captured_queries) == []  # deciding writes nothing
    assert len(queries.captured_queries) == 1  # and reads its facts in one query
    urls = {step.code: step.url for step in decision.next_steps}
    if BOOK in urls:
        assert urls[BOOK] == reverse("booking:provider", args=[world.provider.pk])
        assert urls[MESSAGE] == reverse("messaging:to_provider", args=[world.provider.pk])
        assert urls[FAVOURITE] == reverse("storefront:favourite", args=[world.provider.pk])
    if BUY in urls:
        assert urls[BUY] == reverse("billing:wallet")
    if PAY in urls:
        invoice = Invoice.objects.get(customer=world.customer)
        assert urls[PAY] == reverse("billing:invoice", args=[invoice.pk])
    final = ("own_storefront", "offering_closed", "blocked", "bookings_limit")
    for reason in decision.reasons:  # every refusal offers a way on, or is final
        assert reason.url or decision.next_steps or reason.code in final


def test_the_facts_of_a_pair_are_read_together(django_assert_num_queries):
    """The relationship row, the policy and the money facts in one query, as the domains
    that own them have them; for a pair that never met, the unsaved defaults."""
    from aizuchi.billing import ledger
    from aizuchi.relationships.selectors import relationship_for

    world = World(offering=OfferingFactory(price_per_minute=100), customer=UserFactory())
    with django_assert_num_queries(1):
        facts = access_facts(customer=world.customer, provider=world.provider)
    assert (facts.relationship.pk, facts.relationship.provider_id) == (None, world.provider.pk)
    assert facts.relationship.is_newcomer
    assert (facts.policy.pk, facts.policy.bookings_per_week) == (None, None)
    assert (facts.money.overdue_invoice_id, facts.money.balance_yen) == (None, 0)
    assert facts.money.accounts is None

    fund(world.customer, 5000)
    _regular(world)
    _drop_ins(2, days_ago=1)(world)
    _policy(world, bookings_per_week=3, newcomers_by_reservation=True)
    _overdue(world)
    with django_assert_num_queries(1):
        facts = access_facts(customer=world.customer, provider=world.provider)
    row = relationship_for(**world.pair)
    assert [getattr(facts.relationship, f.attname) for f in row._meta.concrete_fields] == [
        getattr(row, f.attname) for f in row._meta.concrete_fields
    ]
    assert (facts.policy.bookings_per_week, facts.policy.newcomers_by_reservation) == (3, True)
    assert facts.money.overdue_invoice_id == Invoice.objects.get(customer=world.customer).pk
    assert facts.money.balance_yen == 5000
    assert facts.money.accounts is not None
    assert facts.money.accounts.wallet.pk == ledger.wallet(world.customer).pk
    assert facts.money.accounts.hold.pk == ledger.hold_account(world.customer).pk


def test_a_newcomer_is_offered_the_times_kept_for_them_a_regular_any_time():
    offering = OfferingFactory()
    newcomer, regular = UserFactory(), UserFactory()
    relationship_session_completed(provider_id=offering.provider_id, customer_id=regular.pk)
    Provider.objects.filter(pk=offering.provider_id).update(presence_state="offline")
    offering.provider.refresh_from_db()
    labels = {}
    for customer in (newcomer, regular):
        decision = access_check(
            customer=customer, provider=offering.provider, action=Action.CHAT, offering=offering
        )
        with translation.override("en"):
            labels[customer] = [str(s.label) for s in decision.next_steps if s.code == "book"]
    assert labels[newcomer] == ["Book a time kept for newcomers"]
    assert labels[regular] == ["Book a time"]


def test_prepaid_holds_the_balance_within_the_cap_and_books_at_the_slot_price():
    offering = OfferingFactory(price_per_minute=100, session_cap_minutes=20)
    customer = UserFactory()
    fund(customer, 5000)
    Provider.objects.filter(pk=offering.provider_id).update(presence_state="open")
    offering.provider.refresh_from_db()
    talk = access_check(
        customer=customer, provider=offering.provider, action=Action.CHAT, offering=offering
    )
    assert (talk.hold_yen, talk.affordable_seconds) == (2000, 1200)
    book = access_check(
        customer=customer,
        provider=offering.provider,
        action=Action.BOOK,
        offering=offering,
        booking_facts=BookingFacts(slot_seconds=30 * 60),
    )
    assert book.price_yen == 2000  # thirty minutes, but each session ends at twenty


def test_no_message_step_when_the_provider_takes_no_messages_from_them():
    from aizuchi.access.models import MessagePolicy

    offering = OfferingFactory()
    Provider.objects.filter(pk=offering.provider_id).update(presence_state="in_session")
    offering.provider.refresh_from_db()
    MessagePolicy.objects.create(
        provider=offering.provider,
        audience="newcomers",
        mode="closed",
        free_count=0,
        free_period="total",
        max_length=500,
    )
    customer = UserFactory()
    fund(customer, 1000)
    decision = access_check(
        customer=customer, provider=offering.provider, action=Action.CHAT, offering=offering
    )
    assert decision.codes == ["busy"]
    assert [step.code for step in decision.next_steps] == [BOOK, FAVOURITE]
