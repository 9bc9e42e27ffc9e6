"""The one access policy, for messages: branch by branch, what a message costs, how many
free ones remain, every reason it cannot be sent and what is offered instead, and
nothing written while deciding. The free messages already sent are messaging's fact,
passed in (``MessageFacts``), so access is tested without the messaging domain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from aizuchi.access.models import MessagePolicy
from aizuchi.access.policy import Action, MessageFacts, access_check, month_start
from aizuchi.access.services import message_policy_set
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.models import Invoice
from aizuchi.billing.tests.factories import OfferingFactory, fund, postpaid_invoice
from aizuchi.booking.tests.factories import window
from aizuchi.core.errors import InvalidInput
from aizuchi.relationships.services import relationship_block, relationship_session_completed
from aizuchi.storefront.models import Provider
from aizuchi.storefront.services.standby import standby_plan_set
from aizuchi.storefront.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    provider: Provider
    customer: object
    sent: int = 0  # free messages the customer has sent (in the period asked about)


def _policy(audience: str = "newcomers", **values) -> Callable[[World], None]:
    def setup(world: World) -> None:
        defaults = {"mode": "free", "free_count": 1, "free_period": "total", "max_length": 500}
        MessagePolicy.objects.update_or_create(
            provider=world.provider, audience=audience, defaults={**defaults, **values}
        )

    return setup


def _sent(n: int) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.sent = n

    return setup


def _state(state: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        Provider.objects.filter(pk=world.provider.pk).update(presence_state=state)
        world.provider.presence_state = state

    return setup


def _regular(world: World) -> None:
    relationship_session_completed(provider_id=world.provider.pk, customer_id=world.customer.pk)


def _blocked(world: World) -> None:
    relationship_block(
        provider_id=world.provider.pk, customer_id=world.customer.pk, by=world.provider.user
    )


def _own(world: World) -> None:
    world.customer = world.provider.user


def _points(yen: int) -> Callable[[World], None]:
    def setup(world: World) -> None:
        fund(world.customer, yen)

    return setup


def _overdue(world: World) -> None:
    offering = OfferingFactory(provider=world.provider, payment="postpaid")
    invoice = postpaid_invoice(world.customer, offering)
    past = timezone.now() - timedelta(days=8)
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=past, due_at=past + timedelta(days=7))


def _newcomer_times(world: World) -> None:
    standby_plan_set(provider=world.provider, windows=[window(0, 18, newcomers_only=True)])


PAID = _policy(mode="paid", price_yen=300)


def _postpaid(world: World) -> None:
    # An invoice comes from a session, so its customer is a regular: both audiences pay.
    for audience in ("newcomers", "regulars"):
        _policy(audience, mode="paid", price_yen=300, payment="postpaid")(world)


PAID_POSTPAID = _postpaid
THEN_PAID = _policy(free_count=2, price_yen=200)

# (name, setups, codes, (price, free left), next steps)
ROWS = [
    ("a newcomer's free message (the defaults)", [], [], (0, 1), []),
    ("the free one is used", [_sent(1)], ["free_messages_used"], (0, 0), ["book"]),
    ("free, then paid", [THEN_PAID, _sent(1)], [], (0, 1), []),
    ("free used, the next is priced", [THEN_PAID, _sent(2), _points(1000)], [], (200, 0), ["book"]),
    (
        "priced while waiting for callers: a call now too",
        [THEN_PAID, _sent(2), _points(1000), _state("open")],
        [],
        (200, 0),
        ["call", "book"],
    ),
    (
        "a newcomer is offered the times kept for newcomers",
        [THEN_PAID, _sent(2), _points(1000), _newcomer_times],
        [],
        (200, 0),
        ["book", "newcomer_slot"],
    ),
    ("closed", [_policy(mode="closed")], ["messages_closed"], (0, 0), ["book"]),
    ("paid, with points", [PAID, _points(1000)], [], (300, 0), ["book"]),
    ("paid, no points at all", [PAID], ["insufficient_points"], (300, 0), ["buy_points", "book"]),
    ("postpaid needs no points", [PAID_POSTPAID], [], (300, 0), ["book"]),
    (
        "postpaid, an overdue invoice",
        [PAID_POSTPAID, _overdue],
        ["overdue_invoice"],
        (300, 0),
        ["pay_invoice", "book"],
    ),
    # (the invoice's session made them a regular: three free messages a month)
    ("an overdue invoice does not stop a free message", [_overdue], [], (0, 3), []),
    ("sent while busy", [_state("in_session")], [], (0, 1), []),
    ("sent while offline", [_state("offline")], [], (0, 1), []),
    ("blocked hears only that", [PAID, _overdue, _blocked], ["blocked"], None, []),
    ("one's own storefront", [_own], ["own_storefront"], None, []),
    (
        "a regular has the regulars' policy",
        [_policy(mode="closed"), _regular, _policy("regulars", free_count=3), _sent(2)],
        [],
        (0, 1),
        [],
    ),
]


def _writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]


@pytest.mark.parametrize(
    ("setups", "codes", "terms", "steps"), [pytest.param(*row[1:], id=row[0]) for row in ROWS]
)
def test_each_branch_of_the_message_policy(setups, codes, terms, steps):
    provider = ProviderFactory()
    world = World(provider=provider, customer=UserFactory())
    _state("offline")(world)
    for setup in setups:
        setup(world)
    with CaptureQueriesContext(connection) as queries:
        decision = access_check(
            customer=world.customer,
            provider=world.provider,
            action=Action.MESSAGE,
            message_facts=MessageFacts(free_sent_since=lambda since: world.sent),
        )
    assert decision.codes == codes
    assert [step.code for step in decision.next_steps] == steps
    if terms is None:
        assert decision.message is None
    else:
        assert (decision.message.price_yen, decision.message.free_left) == terms
    assert _writes(queries.captured_queries) == []
    urls = {step.code: step.url for step in decision.next_steps}
    if "book" in urls:
        assert urls["book"] == reverse("booking:provider", args=[provider.pk])
    if "call" in urls:
        assert urls["call"].startswith(reverse("storefront:detail", args=[provider.pk]))


@time_machine.travel("2026-07-31 16:00 +0000", tick=False)  # 1 August, 01:00 in Tokyo
def test_monthly_free_messages_are_counted_from_the_providers_first_of_the_month():
    provider = ProviderFactory()
    provider.user.time_zone = "Asia/Tokyo"
    provider.user.save()
    asked = []
    _policy(free_count=2, free_period="month")(World(provider, None))

    def sent_since(since):
        asked.append(since)
        return 2

    with translation.override("en"):
        decision = access_check(
            customer=UserFactory(),
            provider=provider,
            action=Action.MESSAGE,
            message_facts=MessageFacts(free_sent_since=sent_since),
        )
        message = str(decision.reasons[0].message)
    start, following = month_start(timezone.now(), "Asia/Tokyo")
    assert asked == [start]
    assert start.isoformat() == "2026-08-01T00:00:00+09:00"
    assert decision.message.resets_at == following
    assert message == (
        f"You have sent this month's free messages to {provider.display_name} (2). "
        "They start again on September 1."
    )


def test_the_message_policy_form_checks_every_figure_and_saves_both_or_neither():
    provider = ProviderFactory()
    good = {
        "newcomers_mode": "free",
        "newcomers_free_count": "2",
        "newcomers_free_period": "month",
        "newcomers_max_length": "400",
        "newcomers_price_yen": "0",
        "regulars_mode": "paid",
        "regulars_free_count": "0",
        "regulars_free_period": "total",
        "regulars_max_length": "1000",
        "regulars_price_yen": "500",
    }
    bad = {
        **good,
        "regulars_price_yen": "0",  # paid needs a price
        "newcomers_free_count": "51",
        "newcomers_max_length": "abc",
        "newcomers_mode": "sometimes",
    }
    with pytest.raises(InvalidInput) as refused:
        message_policy_set(provider=provider, payment="prepaid", **bad)
    assert set(refused.value.errors) == {
        "regulars_price_yen",
        "newcomers_free_count",
        "newcomers_max_length",
        "newcomers_mode",
    }
    with pytest.raises(InvalidInput) as payment:
        message_policy_set(provider=provider, payment="later", **good)
    assert set(payment.value.errors) == {"payment"}
    with pytest.raises(InvalidInput) as cheap:
        message_policy_set(
            provider=provider, payment="prepaid", **{**good, "regulars_price_yen": "5"}
        )
    assert set(cheap.value.errors) == {"regulars_price_yen"}
    assert not MessagePolicy.objects.exists()
    saved = message_policy_set(provider=provider, payment="postpaid", **good)
    assert (saved["newcomers"].free_count, saved["regulars"].price_yen) == (2, 500)
    assert set(MessagePolicy.objects.values_list("payment", flat=True)) == {"postpaid"}
