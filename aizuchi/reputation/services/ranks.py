"""Ranks (レギュラー → ブロンズ → シルバー → ゴールド → プラチナ) and the recommended order.

The daily job (``ranks_recompute_task``, scheduled in settings.AIZUCHI_SCHEDULE) measures
every provider over the trailing window (settings.AIZUCHI_RANKS["window_days"], 90):

- sales: sum of ``charged_yen`` of completed sessions that ended in the window;
- sessions completed: how many those were;
- completion rate: completed / (completed + declined + missed) among sessions *requested*
  in the window (0 when there were none);
- repeat rate: of the customers with a completed session in the window, the share who
  have had at least two completed sessions with this provider, counting all time;
- rating: the provider's cached average over visible reviews (kept by reputation.services.reviews).

A provider gets the highest tier whose every minimum they meet (``rank_for``). Meeting a
tier never depends on being *below* anything, so improving one figure never lowers a rank.

Assessments: a ``RankAssessment`` row is written for a provider only when its rank or
any of its figures differ from its latest assessment (a provider never assessed counts as
Regular with all figures zero). History then stays proportional to change, not to
providers × days, and "when did this provider's figures move" is still answerable.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from aizuchi.live.models import Session
from aizuchi.notifications.services import notifications_send
from aizuchi.storefront.models import Provider, Rank
from aizuchi.storefront.services.standing import providers_standing_set

from ..models import RankAssessment, Review

logger = logging.getLogger(__name__)

BATCH = 2000
NEWCOMER_DAYS = 30
NEWCOMER_BOOST = 1500
RATING_PRIOR_WEIGHT = 10  # reviews' worth of the site-wide mean in the smoothed rating
DEFAULT_PRIOR_MEAN = 4.0  # used while the site has no visible reviews at all


@dataclass(frozen=True)
class Metrics:
    sales_yen: int = 0
    sessions_completed: int = 0
    completion_rate: float = 0.0
    repeat_rate: float = 0.0
    rating_avg: float = 0.0


@dataclass(frozen=True)
class Tier:
    rank: int
    min_sales_yen: int
    min_sessions: int
    min_completion_rate: float
    min_repeat_rate: float
    min_rating: float

    def met_by(self, m: Metrics) -> bool:
        return (
            m.sales_yen >= self.min_sales_yen
            and m.sessions_completed >= self.min_sessions
            and m.completion_rate >= self.min_completion_rate
            and m.repeat_rate >= self.min_repeat_rate
            and m.rating_avg >= self.min_rating
        )


def tiers_from_settings() -> list[Tier]:
    """The tiers in settings.AIZUCHI_RANKS["tiers"], keyed by rank name (bronze …)."""
    found = []
    tiers = cast(dict[str, dict[str, Any]], settings.AIZUCHI_RANKS["tiers"])
    for name, spec in tiers.items():
        found.append(
            Tier(
                rank=int(Rank[name.upper()]),
                min_sales_yen=int(spec.get("min_sales_yen", 0)),
                min_sessions=int(spec.get("min_sessions", 0)),
                min_completion_rate=float(spec.get("min_completion_rate", 0)),
                min_repeat_rate=float(spec.get("min_repeat_rate", 0)),
                min_rating=float(spec.get("min_rating", 0)),
            )
        )
    return sorted(found, key=lambda t: t.rank)


def window() -> timedelta:
    days = cast(int, settings.AIZUCHI_RANKS.get("window_days", 90))
    return timedelta(days=days)


def rank_for(metrics: Metrics, tiers: list[Tier] | None = None) -> int:
    """The highest tier whose every minimum ``metrics`` meet; Regular when none."""
    best = int(Rank.REGULAR)
    for tier in tiers if tiers is not None else tiers_from_settings():
        if tier.rank > best and tier.met_by(metrics):
            best = tier.rank
    return best


def recommend_score(
    *,
    rank: int,
    rating_avg: float,
    rating_count: int,
    repeat_rate: float,
    created_at: datetime,
    now: datetime,
    prior_mean: float,
) -> int:
    """The integer the "recommended" sort orders by (higher first).

        score = 1000 × rank                                   (0 … 4000)
              + round(200 × smoothed rating)                  (0 … 1000)
              + round(600 × repeat rate)                      (0 … 600)
              + newcomer boost                                (0 … 1500)

        smoothed rating = (W × m + n × avg) / (W + n)

    where n is the number of visible reviews, avg their average, m the site-wide average
    of visible reviews (4.0 while there are none) and W = 10: a provider with two 5★
    reviews does not jump past one with two hundred 4.8★ ones, and one without reviews
    sits at the site average rather than at zero.

        newcomer boost = round(1500 × (30 − age in days) / 30) while younger than 30 days

    A new provider starts about one and a half tiers up and slides back to their merits over
    a month, so newcomers are seen before regulars fill every first page.
    """
    smoothed = (RATING_PRIOR_WEIGHT * prior_mean + rating_count * rating_avg) / (
        RATING_PRIOR_WEIGHT + rating_count
    )
    age_days = max(0.0, (now - created_at).total_seconds() / 86400)
    boost = NEWCOMER_BOOST * (NEWCOMER_DAYS - age_days) / NEWCOMER_DAYS if age_days < 30 else 0
    return 1000 * rank + round(200 * smoothed) + round(600 * repeat_rate) + round(boost)


# --- measuring everyone in a few aggregate queries -----------------------------------------

_REPEAT_SQL = """
SELECT pair.provider_id,
       COUNT(*) AS customers,
       SUM(CASE WHEN pair.total >= 2 THEN 1 ELSE 0 END) AS repeaters
FROM (
    SELECT provider_id, customer_id, COUNT(*) AS total,
           SUM(CASE WHEN ended_at >= %s THEN 1 ELSE 0 END) AS recent
    FROM {table}
    WHERE status = %s AND ended_at < %s
    GROUP BY provider_id, customer_id
) pair
WHERE pair.recent > 0
GROUP BY pair.provider_id
"""


def _activity(*, since: datetime, now: datetime) -> dict[int, dict]:
    """Per provider with any activity: sales, completed, outcomes, customers, repeaters."""
    figures: dict[int, dict] = {}

    def row(pid: int) -> dict:
        return figures.setdefault(
            pid, {"sales": 0, "done": 0, "ok": 0, "outcomes": 0, "customers": 0, "repeaters": 0}
        )

    completed = Session.Status.COMPLETED
    sold = (
        Session.objects.filter(status=completed, ended_at__gte=since, ended_at__lt=now)
        .order_by()
        .values("provider_id")
        .annotate(sales=Sum("charged_yen"), done=Count("id"))
    )
    for r in sold.iterator(chunk_size=BATCH):
        row(r["provider_id"]).update(sales=r["sales"] or 0, done=r["done"])

    outcomes: Any = (
        Session.objects.filter(
            requested_at__gte=since,
            requested_at__lt=now,
            status__in=[completed, Session.Status.DECLINED, Session.Status.MISSED],
        )
        .order_by()
        .values("provider_id")
        .annotate(ok=Count("id", filter=Q(status=completed)), outcomes=Count("id"))
    )
    for r in outcomes.iterator(chunk_size=BATCH):
        row(r["provider_id"]).update(ok=r["ok"], outcomes=r["outcomes"])

    # Two levels of grouping (pairs, then providers): plain SQL, portable to both databases.
    with connection.cursor() as cursor:
        cursor.execute(
            _REPEAT_SQL.format(table=connection.ops.quote_name(Session._meta.db_table)),
            [since, str(completed), now],
        )
        for pid, customers, repeaters in cursor.fetchall():
            row(pid).update(customers=customers, repeaters=int(repeaters or 0))
    return figures


def _latest_assessments() -> dict[int, tuple]:
    latest = (
        RankAssessment.objects.annotate(
            position=Window(
                RowNumber(), partition_by=[F("provider_id")], order_by=F("computed_at").desc()
            )
        )
        .filter(position=1)
        .values_list(
            "provider_id",
            "rank",
            "sales_yen",
            "sessions_completed",
            "completion_rate",
            "repeat_rate",
            "rating_avg",
        )
    )
    return {r[0]: _figures_key(*r[1:]) for r in latest.iterator(chunk_size=BATCH)}


def _figures_key(rank, sales, done, completion, repeat, rating) -> tuple:
    return (
        int(rank),
        int(sales),
        int(done),
        round(float(completion), 4),
        round(float(repeat), 4),
        Decimal(rating).quantize(Decimal("0.01")),
    )


_NEVER_ASSESSED = _figures_key(Rank.REGULAR, 0, 0, 0, 0, 0)


@dataclass
class RecomputeSummary:
    providers: int = 0
    updated: int = 0
    assessments: int = 0
    promoted: int = 0
    demoted: int = 0
    read_seconds: float = 0.0  # measuring and deciding, before the writes
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def ranks_recompute(*, now: datetime | None = None) -> RecomputeSummary:
    """Rank and score every provider; write what changed; tell those whose rank moved.

    Reads: three aggregate queries over sessions, one over reviews, one over the latest
    assessments and one pass over providers, whatever the number of providers. Writes:
    batched updates of the providers whose rank or score changed, ``bulk_create``
    of new assessments and of one notification per provider whose rank moved.
    """
    started = time.monotonic()
    now = now or timezone.now()
    since = now - window()
    tiers = tiers_from_settings()
    activity = _activity(since=since, now=now)
    mean = Review.objects.filter(hidden_at__isnull=True).aggregate(m=Avg("stars"))["m"]
    prior_mean = float(mean) if mean is not None else DEFAULT_PRIOR_MEAN
    latest = _latest_assessments()

    summary = RecomputeSummary()
    changed: list[tuple[int, int, int]] = []
    assessments: list[RankAssessment] = []
    moves: list[tuple[int, int, int, int]] = []  # provider, user, old rank, new rank
    providers = (
        Provider.objects.order_by()
        .values_list(
            "pk", "user_id", "rank", "recommend_score", "rating_avg", "rating_count", "created_at"
        )
        .iterator(chunk_size=BATCH)
    )
    empty = {"sales": 0, "done": 0, "ok": 0, "outcomes": 0, "customers": 0, "repeaters": 0}
    for pid, user_id, old_rank, old_score, rating_avg, rating_count, created_at in providers:
        summary.providers += 1
        a = activity.get(pid, empty)
        metrics = Metrics(
            sales_yen=a["sales"],
            sessions_completed=a["done"],
            completion_rate=a["ok"] / a["outcomes"] if a["outcomes"] else 0.0,
            repeat_rate=a["repeaters"] / a["customers"] if a["customers"] else 0.0,
            rating_avg=float(rating_avg),
        )
        rank = rank_for(metrics, tiers)
        score = recommend_score(
            rank=rank,
            rating_avg=float(rating_avg),
            rating_count=rating_count,
            repeat_rate=metrics.repeat_rate,
            created_at=created_at,
            now=now,
            prior_mean=prior_mean,
        )
        if rank != old_rank or score != old_score:
            changed.append((pid, rank, score))
        key = _figures_key(
            rank,
            metrics.sales_yen,
            metrics.sessions_completed,
            metrics.completion_rate,
            metrics.repeat_rate,
            rating_avg,
        )
        if key != latest.get(pid, _NEVER_ASSESSED):
            assessments.append(
                RankAssessment(
                    provider_id=pid,
                    computed_at=now,
                    rank=rank,
                    sales_yen=metrics.sales_yen,
                    sessions_completed=metrics.sessions_completed,
                    completion_rate=metrics.completion_rate,
                    repeat_rate=metrics.repeat_rate,
                    rating_avg=key[5],
                )
            )
        if rank != old_rank:
            moves.append((pid, user_id, old_rank, rank))

    summary.read_seconds = round(time.monotonic() - started, 3)
    with transaction.atomic():
        providers_standing_set(changed)
        RankAssessment.objects.bulk_create(assessments, batch_size=BATCH)
        _notify_moves(moves)
    summary.updated, summary.assessments = len(changed), len(assessments)
    summary.promoted = sum(1 for m in moves if m[3] > m[2])
    summary.demoted = len(moves) - summary.promoted
    summary.seconds = round(time.monotonic() - started, 3)
    logger.info("ranks recomputed: %s", summary.as_dict())
    return summary


def _notify_moves(moves: list[tuple[int, int, int, int]]) -> None:
    """One notification per provider whose rank moved: up and down, each kind in one
    many-recipient send (rows in batches, each person's pages pushed after commit)."""
    for kind, moved in (
        ("rank_up", [m for m in moves if m[3] > m[2]]),
        ("rank_down", [m for m in moves if m[3] <= m[2]]),
    ):
        if moved:
            notifications_send(
                users=[user_id for _pid, user_id, _old, _new in moved],
                kind=kind,
                params=[{"rank": rank} for _pid, _user, _old, rank in moved],
                url=[reverse("storefront:detail", args=[pid]) for pid, _u, _o, _n in moved],
            )


@task
def ranks_recompute_task() -> dict:
    """The daily rank job (see settings.AIZUCHI_SCHEDULE)."""
    return ranks_recompute().as_dict()


# --- selectors for the rank pages ---------------------------------------------------------
