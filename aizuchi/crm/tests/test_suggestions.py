""" "Today, write to": the rules (hypothesis over random pairs), the daily job over real
rows, and the provider's answers (dismiss, snooze, a follow-up clears it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aizuchi.access.services import customer_block_set
from aizuchi.crm.models import Suggestion
from aizuchi.crm.selectors import suggestions_for_provider
from aizuchi.crm.services import followups
from aizuchi.crm.services.suggestions import (
    QUIET_AFTER_FOLLOWUP,
    SUGGESTIONS_PER_PROVIDER,
    PairFacts,
    reasons_for,
    suggest,
    suggestion_dismiss,
    suggestion_snooze,
    suggestions_compute,
)
from aizuchi.live.models import Session
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import card_for, met

NOW = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
hours = st.integers(min_value=-24 * 120, max_value=24 * 3).map(lambda h: NOW + timedelta(hours=h))
maybe_hours = st.one_of(st.none(), hours)

pair_facts = st.builds(
    PairFacts,
    provider_id=st.integers(min_value=1, max_value=3),
    customer_id=st.integers(min_value=1, max_value=40),
    tier=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    blocked=st.booleans(),
    sessions_completed=st.integers(min_value=0, max_value=10),
    last_contact_at=maybe_hours,
    first_completed_at=maybe_hours,
    booking_at=maybe_hours,
    free_messages_out=st.booleans(),
    followup_sent_at=maybe_hours,
)


@given(pairs=st.lists(pair_facts, max_size=60))
def test_the_rules_never_suggest_blocked_or_lately_followed_and_hold_the_cap(pairs):
    chosen = suggest(pairs, NOW)
    per_provider: dict[int, int] = {}
    for facts, reasons, score in chosen:
        assert not facts.blocked
        assert (
            facts.followup_sent_at is None or facts.followup_sent_at <= NOW - QUIET_AFTER_FOLLOWUP
        )
        assert reasons
        assert score > 0
        per_provider[facts.provider_id] = per_provider.get(facts.provider_id, 0) + 1
    assert all(count <= SUGGESTIONS_PER_PROVIDER for count in per_provider.values())
    # Every pair with a reason is suggested unless its provider's list is full.
    for facts in pairs:
        if (
            reasons_for(facts, NOW)
            and per_provider.get(facts.provider_id, 0) < SUGGESTIONS_PER_PROVIDER
        ):
            assert any(f is facts for f, _r, _s in chosen)


@given(facts=pair_facts)
def test_a_follow_up_always_quiets_a_pair(facts):
    sent = PairFacts(**{**facts.__dict__, "followup_sent_at": NOW - timedelta(hours=1)})
    assert reasons_for(sent, NOW) == []


@pytest.mark.django_db
def test_the_job_finds_each_reason():
    provider = ProviderFactory()
    now = timezone.now()
    _p, valued, _s = met(provider, display_name="本命さん")
    card_for(provider, valued, tier=1)
    Relationship.objects.filter(customer=valued).update(last_contact_at=now - timedelta(days=20))
    _p, fresh, _s = met(provider, sessions=0, display_name="はじめてさん")
    SessionFactory(
        provider=provider,
        customer=fresh,
        completed=True,
        requested_at=now - timedelta(hours=20),
    )
    _p, far, _s = met(provider, display_name="遠いさん")
    card_for(provider, far, tier=4)
    Relationship.objects.filter(customer=far).update(last_contact_at=now - timedelta(days=90))
    # The first sessions of those two were long ago.
    Session.objects.filter(customer__in=[valued, far]).update(ended_at=now - timedelta(days=20))
    assert suggestions_compute(now=now, provider_ids=[provider.pk]) == 2
    rows = {
        s.customer.display_name: s.reasons
        for s in suggestions_for_provider(provider=provider, now=now)
    }
    assert rows == {"本命さん": ["invested_unseen"], "はじめてさん": ["first_session"]}


@pytest.mark.django_db(transaction=False)
@given(
    tiers=st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=1, max_size=7),
    blocked=st.sets(st.integers(0, 6)),
    followed=st.sets(st.integers(0, 6)),
)
@hypothesis_settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_after_the_job_blocked_and_followed_up_customers_are_never_listed(
    db, tiers, blocked, followed
):
    now = timezone.now()
    provider = ProviderFactory()
    customers = []
    for i, tier in enumerate(tiers):
        _p, customer, _s = met(provider, sessions=3)
        if tier:
            card_for(provider, customer, tier=tier)
        Relationship.objects.filter(provider=provider, customer=customer).update(
            last_contact_at=now - timedelta(days=60 + i)
        )
        customers.append(customer)
    suggestions_compute(now=now, provider_ids=[provider.pk])
    listed = {s.customer_id for s in suggestions_for_provider(provider=provider, now=now)}
    assert len(listed) <= SUGGESTIONS_PER_PROVIDER
    for i, customer in enumerate(customers):
        if i in followed and customer.pk in listed:
            followups.followup_create(
                provider=provider, customer_ids=[customer.pk], body="お元気ですか"
            )
        if i in blocked:
            customer_block_set(provider=provider, customer_id=customer.pk, blocked=True)

    def check():
        shown = {s.customer_id for s in suggestions_for_provider(provider=provider, now=now)}
        for i, customer in enumerate(customers):
            if i in blocked or (i in followed and customer.pk in listed):
                assert customer.pk not in shown

    check()
    suggestions_compute(now=now + timedelta(minutes=1), provider_ids=[provider.pk])
    check()


@pytest.mark.django_db
def test_dismiss_and_snooze_hide_it_until_their_time_even_across_the_job():
    provider = ProviderFactory()
    now = timezone.now()
    first, second = (met(provider, sessions=3)[1] for _ in range(2))
    Relationship.objects.filter(provider=provider).update(last_contact_at=now - timedelta(days=60))
    suggestions_compute(now=now, provider_ids=[provider.pk])
    rows = {s.customer_id: s for s in suggestions_for_provider(provider=provider, now=now)}
    suggestion_dismiss(provider=provider, suggestion_id=rows[first.pk].pk, now=now)
    suggestion_snooze(provider=provider, suggestion_id=rows[second.pk].pk, days=1, now=now)
    suggestions_compute(now=now + timedelta(hours=1), provider_ids=[provider.pk])
    assert suggestions_for_provider(provider=provider, now=now + timedelta(hours=1)) == []
    later = [
        s.customer_id
        for s in suggestions_for_provider(provider=provider, now=now + timedelta(days=2))
    ]
    assert later == [second.pk]


@pytest.mark.django_db
def test_the_page_shows_reasons_and_no_one_else_can_answer():
    provider = ProviderFactory()
    now = timezone.now()
    _p, customer, _s = met(provider, sessions=3, display_name="常連さん")
    Relationship.objects.filter(provider=provider).update(last_contact_at=now - timedelta(days=60))
    suggestions_compute(now=now, provider_ids=[provider.pk])
    client = Client()
    client.force_login(provider.user)
    page = client.get(reverse("crm:list")).content.decode()
    assert "data-suggestions" in page
    assert "常連さん" in page
    [row] = Suggestion.objects.all()
    other = Client()
    other.force_login(ProviderFactory().user)
    assert other.post(reverse("crm:dismiss", args=[row.pk])).status_code == 404
    assert other.post(reverse("crm:snooze", args=[row.pk]), {"days": "1"}).status_code == 404
    assert "常連さん" not in other.get(reverse("crm:list")).content.decode()
    bad = client.post(reverse("crm:snooze", args=[row.pk]), {"days": "365"})
    assert bad.status_code == 302
    row.refresh_from_db()
    assert row.hidden_until is None
    client.post(reverse("crm:dismiss", args=[row.pk]))
    row.refresh_from_db()
    assert row.hidden_until is not None
