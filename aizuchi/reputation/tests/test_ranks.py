"""Ranks: tiers at their boundaries, monotonicity, the figures measured from sessions,
what the job writes, and the rank pages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.realtime import user_group
from aizuchi.core.testing import pushed_to
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.notifications.models import Notification
from aizuchi.reputation.models import RankAssessment
from aizuchi.reputation.services import ranks
from aizuchi.reputation.services.ranks import Metrics, Tier, rank_for, tiers_from_settings
from aizuchi.storefront.models import Category, Provider, Rank
from aizuchi.storefront.tests.factories import ProviderFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TIERS = tiers_from_settings()


def _at_threshold(tier: Tier) -> Metrics:
    return Metrics(
        sales_yen=tier.min_sales_yen,
        sessions_completed=tier.min_sessions,
        completion_rate=tier.min_completion_rate,
        repeat_rate=tier.min_repeat_rate,
        rating_avg=tier.min_rating,
    )


def _just_below(metrics: Metrics, field: str) -> Metrics:
    value = getattr(metrics, field)
    step = 1 if isinstance(value, int) else 0.001
    return dataclasses.replace(metrics, **{field: value - step})


# --- the rule -----------------------------------------------------------------------------------


def test_settings_define_the_four_tiers_in_order():
    assert [t.rank for t in TIERS] == [Rank.BRONZE, Rank.SILVER, Rank.GOLD, Rank.PLATINUM]
    assert rank_for(Metrics()) == Rank.REGULAR


@pytest.mark.parametrize("tier", TIERS, ids=lambda t: Rank(t.rank).name)
def test_exactly_at_every_minimum_earns_the_tier(tier):
    assert rank_for(_at_threshold(tier)) == tier.rank


@pytest.mark.parametrize("tier", TIERS, ids=lambda t: Rank(t.rank).name)
@pytest.mark.parametrize(
    "field",
    ["sales_yen", "sessions_completed", "completion_rate", "repeat_rate", "rating_avg"],
)
def test_just_below_any_one_minimum_falls_to_a_lower_tier(tier, field):
    at = _at_threshold(tier)
    if getattr(at, field) == 0:
        pytest.skip("a zero minimum cannot be missed")
    below = _just_below(at, field)
    assert rank_for(below) < tier.rank
    # The lower tier it falls to is the best one that figure still allows.
    expected = max([t.rank for t in TIERS if t.met_by(below)], default=Rank.REGULAR)
    assert rank_for(below) == expected


metrics_st = st.builds(
    Metrics,
    sales_yen=st.integers(0, 2_000_000),
    sessions_completed=st.integers(0, 400),
    completion_rate=st.floats(0, 1),
    repeat_rate=st.floats(0, 1),
    rating_avg=st.floats(0, 5),
)
tier_st = st.builds(
    Tier,
    rank=st.integers(1, 4),
    min_sales_yen=st.integers(0, 1_000_000),
    min_sessions=st.integers(0, 200),
    min_completion_rate=st.floats(0, 1),
    min_repeat_rate=st.floats(0, 1),
    min_rating=st.floats(0, 5),
)


@given(
    metrics=metrics_st,
    field=st.sampled_from(
        ["sales_yen", "sessions_completed", "completion_rate", "repeat_rate", "rating_avg"]
    ),
    gain=st.floats(0, 1),
    tiers=st.one_of(st.just(TIERS), st.lists(tier_st, max_size=6)),
)
def test_improving_any_single_figure_never_lowers_the_rank(metrics, field, gain, tiers):
    value = getattr(metrics, field)
    if isinstance(value, int):
        better = value + round(gain * 1_000_000)
    else:
        better = min(5.0 if field == "rating_avg" else 1.0, value + gain)
    improved = dataclasses.replace(metrics, **{field: better})
    assert rank_for(improved, tiers) >= rank_for(metrics, tiers)


def test_recommend_score_formula():
    common = {"rating_avg": 0.0, "rating_count": 0, "repeat_rate": 0.0, "prior_mean": 4.0}
    old = NOW - timedelta(days=400)
    # No reviews: the smoothed rating is the site mean (4.0 → 800).
    assert ranks.recommend_score(rank=0, created_at=old, now=NOW, **common) == 800
    assert ranks.recommend_score(rank=2, created_at=old, now=NOW, **common) == 2800
    # A brand-new provider gets the full boost, half of it at 15 days, none at 30.
    assert ranks.recommend_score(rank=0, created_at=NOW, now=NOW, **common) == 2300
    half = ranks.recommend_score(rank=0, created_at=NOW - timedelta(days=15), now=NOW, **common)
    assert half == 1550
    gone = ranks.recommend_score(rank=0, created_at=NOW - timedelta(days=30), now=NOW, **common)
    assert gone == 800
    # Two 5★ reviews move the smoothed rating far less than two hundred 4.8★ ones.
    few = ranks.recommend_score(
        rank=0, rating_avg=5.0, rating_count=2, repeat_rate=0, prior_mean=4.0,
        created_at=old, now=NOW,
    )  # fmt: skip
    many = ranks.recommend_score(
        rank=0, rating_avg=4.8, rating_count=200, repeat_rate=0, prior_mean=4.0,
        created_at=old, now=NOW,
    )  # fmt: skip
    assert few < many
    assert (
        ranks.recommend_score(rank=0, created_at=old, now=NOW, **{**common, "repeat_rate": 0.5})
        == 1100
    )


# --- measuring from sessions -------------------------------------------------------------------


def _completed(provider, customer, *, ended_days_ago: float, yen: int = 3000):
    ended = NOW - timedelta(days=ended_days_ago)
    return SessionFactory(
        completed=True,
        provider=provider,
        customer=customer,
        requested_at=ended - timedelta(minutes=40),
        started_at=ended - timedelta(minutes=30),
        ended_at=ended,
        charged_yen=yen,
    )


@pytest.mark.django_db
def test_figures_over_the_trailing_window():
    provider = ProviderFactory(created_at=NOW - timedelta(days=200))
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    _completed(provider, alice, ended_days_ago=200, yen=99999)  # outside, but makes alice repeat
    _completed(provider, alice, ended_days_ago=10, yen=4000)
    _completed(provider, bob, ended_days_ago=5, yen=2000)
    _completed(provider, bob, ended_days_ago=3, yen=1000)
    _completed(provider, carol, ended_days_ago=89.9, yen=500)
    _completed(provider, carol, ended_days_ago=-1, yen=70000)  # after `now`: not counted
    SessionFactory(provider=provider, declined=True, requested_at=NOW - timedelta(days=1))
    SessionFactory(provider=provider, missed=True, requested_at=NOW - timedelta(days=2))
    SessionFactory(provider=provider, missed=True, requested_at=NOW - timedelta(days=95))
    SessionFactory(provider=provider, requested_at=NOW - timedelta(days=1))  # still ringing

    ranks.ranks_recompute(now=NOW)
    assessment = RankAssessment.objects.get(provider=provider)
    assert assessment.sales_yen == 4000 + 2000 + 1000 + 500
    assert assessment.sessions_completed == 4
    # requested in the window: 4 completed (carol's future one is outside), 1 declined, 1 missed
    assert assessment.completion_rate == pytest.approx(4 / 6)
    # customers in the window: alice (2 all time), bob (2), carol (1 before now) → 2 of 3
    assert assessment.repeat_rate == pytest.approx(2 / 3)
    assert assessment.computed_at == NOW


@pytest.mark.django_db
def test_the_job_promotes_notifies_and_writes_assessments_only_on_change(
    settings, django_capture_on_commit_callbacks
):
    settings.AIZUCHI_RANKS = {
        "window_days": 90,
        "tiers": {
            "bronze": {"min_sales_yen": 5000, "min_sessions": 2},
            "silver": {"min_sales_yen": 9000, "min_sessions": 3, "min_repeat_rate": 0.5},
        },
    }
    provider = ProviderFactory(created_at=NOW - timedelta(days=100))
    idle = ProviderFactory(created_at=NOW - timedelta(days=100))
    regular = UserFactory()
    _completed(provider, regular, ended_days_ago=3)
    _completed(provider, regular, ended_days_ago=2)

    def recompute():
        with django_capture_on_commit_callbacks(execute=True):
            return ranks.ranks_recompute(now=NOW)

    first, pushed = pushed_to(user_group(provider.user_id), recompute)
    provider.refresh_from_db()
    assert provider.rank == Rank.BRONZE
    assert pushed["type"] == "notification.created"
    assert pushed["notification"]["kind"] == "rank_up"
    assert pushed["unread_count"] == 1
    assert first.promoted == 1
    assert first.demoted == 0
    assert first.assessments == 1  # the idle provider has nothing to record
    assert not RankAssessment.objects.filter(provider=idle).exists()
    note = Notification.objects.get(user=provider.user)
    assert note.kind == "rank_up"
    assert note.params == {"rank": Rank.BRONZE}
    with translation.override("ja"):
        assert "ブロンズ" in note.title
    with translation.override("en"):
        assert "Bronze" in note.title

    # Nothing changed: no new rows, no new notifications.
    again = ranks.ranks_recompute(now=NOW + timedelta(hours=1))
    assert again.assessments == 0
    assert again.promoted + again.demoted == 0
    assert RankAssessment.objects.count() == 1
    assert Notification.objects.filter(user=provider.user).count() == 1

    _completed(provider, regular, ended_days_ago=1)  # third session, 9000 yen, repeat 1.0
    ranks.ranks_recompute(now=NOW + timedelta(hours=2))
    provider.refresh_from_db()
    assert provider.rank == Rank.SILVER
    assert RankAssessment.objects.filter(provider=provider).count() == 2

    # 100 days later everything has left the window: back to Regular, told so.
    later = ranks.ranks_recompute(now=NOW + timedelta(days=100))
    provider.refresh_from_db()
    assert provider.rank == Rank.REGULAR
    assert later.demoted == 1
    assert Notification.objects.filter(user=provider.user, kind="rank_down").count() == 1


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_providers():
    def queries_for(n):
        for _ in range(n):
            p = ProviderFactory(created_at=NOW - timedelta(days=365))
            _completed(p, UserFactory(), ended_days_ago=1)
        ranks.ranks_recompute(now=NOW)  # settle ranks, scores and first assessments
        with CaptureQueriesContext(connection) as ctx:
            ranks.ranks_recompute(now=NOW + timedelta(minutes=1))
        return len(ctx.captured_queries)

    few = queries_for(3)
    many = queries_for(40)
    assert few == many
    assert many <= 10


@pytest.mark.django_db
def test_newcomer_is_boosted_past_an_older_equal_in_the_recommended_order():
    old = ProviderFactory(created_at=NOW - timedelta(days=300))
    new = ProviderFactory(created_at=NOW - timedelta(days=2))
    ranks.ranks_recompute(now=NOW)
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.recommend_score > old.recommend_score
    ranks.ranks_recompute(now=NOW + timedelta(days=40))
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.recommend_score == old.recommend_score


@pytest.mark.django_db
def test_the_task_runs_inline_with_the_immediate_backend():
    p = ProviderFactory(created_at=NOW - timedelta(days=10))
    result = ranks.ranks_recompute_task.enqueue()
    assert result.status == "SUCCESSFUL"
    assert result.return_value["providers"] == 1
    p.refresh_from_db()
    assert p.recommend_score > 0


# --- rank pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ranking_orders_by_rank_then_score_with_badges(client):
    talk = Category.objects.first()
    gold = ProviderFactory(display_name="金の人", rank=Rank.GOLD, recommend_score=10)
    ProviderFactory(display_name="銀の上", rank=Rank.SILVER, recommend_score=900)
    silver_lo = ProviderFactory(display_name="銀の下", rank=Rank.SILVER, recommend_score=100)
    ProviderFactory(display_name="非公開の人", rank=Rank.PLATINUM, is_listed=False)
    gold.categories.add(talk)
    silver_lo.categories.add(talk)

    page = client.get(reverse("storefront:ranking")).content.decode()
    assert reverse("storefront:ranking") == "/providers/ranking/"
    positions = [page.index(name) for name in ("金の人", "銀の上", "銀の下")]
    assert positions == sorted(positions)
    assert "非公開の人" not in page
    assert 'class="rank-badge rank-3"' in page
    assert 'class="rank-badge rank-2"' in page

    url = reverse("storefront:ranking_category", args=[talk.slug])
    assert url == f"/providers/ranking/{talk.slug}/"
    in_category = client.get(url).content.decode()
    assert "金の人" in in_category
    assert "銀の下" in in_category
    assert "銀の上" not in in_category


@pytest.mark.django_db
def test_ranking_of_an_unknown_category_is_404_and_pages_work(client):
    assert client.get("/providers/ranking/no-such-category/").status_code == 404
    Provider.objects.bulk_create(
        [
            Provider(user=UserFactory(), display_name=f"人{n:02d}", concept="c", recommend_score=n)
            for n in range(25)
        ]
    )
    first = client.get(reverse("storefront:ranking")).content.decode()
    second = client.get(reverse("storefront:ranking"), {"page": 2}).content.decode()
    assert "人24" in first
    assert "人00" not in first
    assert "人00" in second
    assert client.get(reverse("storefront:ranking"), {"page": "x"}).status_code == 200


def test_rank_settings_are_ascending():
    tiers = [settings.AIZUCHI_RANKS["tiers"][n] for n in ("bronze", "silver", "gold", "platinum")]
    for lower, higher in zip(tiers, tiers[1:], strict=False):
        for key in lower:
            assert Decimal(str(higher[key])) >= Decimal(str(lower[key]))
