"""The pricing function: the practitioners' cases as a table, and its properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from aizuchi.billing.pricing import (
    FIRST_SESSION,
    PER_MINUTE,
    PER_SECOND,
    POSTPAID,
    REPEAT_SESSION,
    History,
    PricingPolicy,
    affordable_seconds,
    cap_seconds,
    commission_split,
    first_minute_yen,
    free_allowance_seconds,
    price_session,
    refund_commission_yen,
    tax_included_yen,
)

# The listener's postpaid terms from the brief: first 30 minutes free, first session at most 60.
LISTENER = PricingPolicy(
    price_per_minute_yen=100,
    first_free_minutes=30,
    first_session_cap_minutes=60,
    payment=POSTPAID,
)


@pytest.mark.parametrize(
    ("policy", "history", "seconds", "billed", "free", "amount"),
    [
        # first session, 75 minutes on the line: cut at the 60-minute cap, 30 free, 30 paid
        (LISTENER, FIRST_SESSION, 75 * 60, 60 * 60, 30 * 60, 3000),
        # first session, exactly 60 minutes
        (LISTENER, FIRST_SESSION, 60 * 60, 60 * 60, 30 * 60, 3000),
        # first session that ends inside the free half hour
        (LISTENER, FIRST_SESSION, 20, 20, 20, 0),
        (LISTENER, FIRST_SESSION, 30 * 60, 30 * 60, 30 * 60, 0),
        # one second past the free part starts a charged minute
        (LISTENER, FIRST_SESSION, 30 * 60 + 1, 30 * 60 + 1, 30 * 60, 100),
        # a second session: no free minutes, no first-session cap
        (LISTENER, REPEAT_SESSION, 20, 20, 0, 100),
        (LISTENER, REPEAT_SESSION, 75 * 60, 75 * 60, 0, 7500),
        (LISTENER, History(earlier_sessions=5), 61, 61, 0, 200),
        # nothing connected, nothing billed
        (LISTENER, REPEAT_SESSION, 0, 0, 0, 0),
        # per second: floor(seconds × price / 60)
        (
            PricingPolicy(price_per_minute_yen=100, rounding=PER_SECOND),
            REPEAT_SESSION,
            20,
            20,
            0,
            33,
        ),
        (
            PricingPolicy(price_per_minute_yen=100, rounding=PER_SECOND),
            REPEAT_SESSION,
            90,
            90,
            0,
            150,
        ),
        # an every-session cap applies to repeat sessions too
        (
            PricingPolicy(price_per_minute_yen=80, session_cap_minutes=45),
            REPEAT_SESSION,
            50 * 60,
            45 * 60,
            0,
            3600,
        ),
        # first-session cap tighter than the every-session cap
        (
            PricingPolicy(
                price_per_minute_yen=80, first_session_cap_minutes=10, session_cap_minutes=45
            ),
            FIRST_SESSION,
            50 * 60,
            10 * 60,
            0,
            800,
        ),
    ],
)
def test_practitioners_cases(policy, history, seconds, billed, free, amount):
    quote = price_session(policy, history, seconds)
    assert (quote.billed_seconds, quote.free_seconds, quote.amount_yen) == (billed, free, amount)
    assert quote.charged_seconds == billed - free
    assert sum(line.amount_yen for line in quote.lines) == amount
    assert sum(line.seconds for line in quote.lines) == billed


def test_the_75_minute_first_call_reads_as_two_lines():
    quote = price_session(LISTENER, FIRST_SESSION, 75 * 60)
    assert [(line.kind, line.seconds, line.units, line.amount_yen) for line in quote.lines] == [
        ("free", 1800, 30, 0),
        ("charged", 1800, 30, 3000),
    ]
    assert quote.cap_seconds == 3600
    assert quote.first_session is True


def test_first_minute_costs_nothing_inside_the_free_allowance():
    assert first_minute_yen(LISTENER, FIRST_SESSION) == 0
    assert first_minute_yen(LISTENER, REPEAT_SESSION) == 100


def test_bad_policies_are_refused():
    for bad in (
        {"price_per_minute_yen": 0},
        {"price_per_minute_yen": 10, "rounding": "hour"},
        {"price_per_minute_yen": 10, "payment": "barter"},
        {"price_per_minute_yen": 10, "first_free_minutes": -1},
        {"price_per_minute_yen": 10, "session_cap_minutes": 0},
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - each message names its own field
            PricingPolicy(**bad)
    with pytest.raises(ValueError, match="negative"):
        price_session(LISTENER, FIRST_SESSION, -1)


# --- properties -----------------------------------------------------------------------------

policies = st.builds(
    PricingPolicy,
    price_per_minute_yen=st.integers(1, 5000),
    rounding=st.sampled_from([PER_MINUTE, PER_SECOND]),
    first_free_minutes=st.integers(0, 90),
    first_session_cap_minutes=st.none() | st.integers(1, 600),
    session_cap_minutes=st.none() | st.integers(1, 600),
)
histories = st.builds(History, earlier_sessions=st.integers(0, 3))
durations = st.integers(0, 12 * 3600)


@given(policies, histories, durations)
def test_never_negative_and_lines_add_up(policy, history, seconds):
    quote = price_session(policy, history, seconds)
    assert quote.amount_yen >= 0
    assert all(line.amount_yen >= 0 and line.seconds > 0 for line in quote.lines)
    assert sum(line.amount_yen for line in quote.lines) == quote.amount_yen
    assert quote.free_seconds + quote.charged_seconds == quote.billed_seconds <= seconds


@given(policies, histories, durations, durations)
def test_monotonic_in_time(policy, history, a, b):
    shorter, longer = sorted((a, b))
    assert (
        price_session(policy, history, shorter).amount_yen
        <= price_session(policy, history, longer).amount_yen
    )


@given(policies, histories, durations)
def test_free_part_never_exceeds_the_allowance(policy, history, seconds):
    quote = price_session(policy, history, seconds)
    assert quote.free_seconds <= policy.first_free_minutes * 60
    if not history.is_first_session:
        assert quote.free_seconds == 0


@given(policies, histories, durations)
def test_the_cap_is_never_exceeded(policy, history, seconds):
    quote = price_session(policy, history, seconds)
    cap = cap_seconds(policy, history)
    if cap is not None:
        assert quote.billed_seconds <= cap
        assert quote.amount_yen <= price_session(policy, history, cap).amount_yen
        for limit in (policy.session_cap_minutes,) + (
            (policy.first_session_cap_minutes,) if history.is_first_session else ()
        ):
            if limit:
                assert quote.billed_seconds <= limit * 60


@given(policies, histories, durations)
def test_charged_part_is_the_rounded_time_beyond_the_free_part(policy, history, seconds):
    quote = price_session(policy, history, seconds)
    charged = quote.charged_seconds
    if policy.rounding == PER_MINUTE:
        minutes = -(-charged // 60)
        assert quote.amount_yen == minutes * policy.price_per_minute_yen
    else:
        assert quote.amount_yen * 60 <= charged * policy.price_per_minute_yen
        assert (quote.amount_yen + 1) * 60 > charged * policy.price_per_minute_yen


@given(policies, histories, st.integers(0, 200_000))
def test_affordable_seconds_is_the_last_second_the_budget_covers(policy, history, budget):
    seconds = affordable_seconds(policy, history, budget)
    assume(seconds is not None)
    assert price_session(policy, history, seconds).amount_yen <= budget
    cap = cap_seconds(policy, history)
    if cap is None or seconds < cap:
        assert price_session(policy, history, seconds + 1).amount_yen > budget
    assert seconds >= free_allowance_seconds(policy, history)


@given(st.integers(0, 10**9), st.integers(0, 10_000))
def test_commission_and_share_add_up(amount, rate):
    commission, share = commission_split(amount, rate)
    assert commission + share == amount
    assert 0 <= commission <= amount
    assert commission == amount * rate // 10_000


@given(st.integers(1, 10**7), st.integers(0, 10_000), st.lists(st.integers(1, 10**6), max_size=8))
def test_partial_refunds_give_back_exactly_the_commission(amount, rate, parts):
    commission, _share = commission_split(amount, rate)
    refunded, given_back = 0, 0
    for part in parts:
        part = min(part, amount - refunded)
        if part == 0:
            break
        back = refund_commission_yen(
            amount_yen=amount, commission_yen=commission, refunded_before=refunded, refund_yen=part
        )
        assert 0 <= back <= part
        refunded, given_back = refunded + part, given_back + back
    rest = amount - refunded
    if rest:
        given_back += refund_commission_yen(
            amount_yen=amount, commission_yen=commission, refunded_before=refunded, refund_yen=rest
        )
    assert given_back == commission


def test_tax_inside_a_tax_inclusive_price():
    assert tax_included_yen(1100, 10) == 100
    assert tax_included_yen(1000, 10) == 90
    assert tax_included_yen(0, 10) == 0
