"""Reviews: a customer's word on one completed session, the provider's one reply,
reports, staff moderation, and the rating aggregate on the provider.

Every change that can move the aggregate calls ``rating_refresh`` in its own
transaction, so ``Provider.rating_avg`` / ``rating_count`` always equal a fresh
computation over the provider's visible (not hidden) reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import NotFound
from aizuchi.live.models import Session
from aizuchi.storefront.models import Provider

from ..models import Review, ReviewReport

SESSION_NOT_FOUND = _("There is no completed session of yours to review here.")


# --- the aggregate ------------------------------------------------------------------------


def _two_places(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rating_compute(*, provider_id: int) -> tuple[Decimal, int]:
    """Average stars (2 decimals) and count over the provider's visible reviews."""
    figures = Review.objects.filter(provider_id=provider_id, hidden_at__isnull=True).aggregate(
        avg=Avg("stars"), count=Count("id")
    )
    return _two_places(figures["avg"]), figures["count"]


def ratings_compute(*, provider_ids: list[int]) -> dict[int, tuple[Decimal, int]]:
    """``rating_compute`` for many providers in one query; providers without visible
    reviews are left out."""
    rows = (
        Review.objects.filter(provider_id__in=provider_ids, hidden_at__isnull=True)
        .values("provider_id")
        .annotate(avg=Avg("stars"), count=Count("id"))
        .order_by()
    )
    return {row["provider_id"]: (_two_places(row["avg"]), row["count"]) for row in rows}


# --- services -------------------------------------------------------------------------------


# --- selectors ------------------------------------------------------------------------------


def reviewable_session(*, user, session_id: int) -> Session:
    """The caller's own completed session, for the "write a review" page."""
    session = (
        Session.objects.select_related("provider")
        .filter(pk=session_id, customer_id=user.pk, status=Session.Status.COMPLETED)
        .first()
    )
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    return session


def session_review(*, session: Session) -> Review | None:
    return Review.objects.filter(session=session).first()


def reviews_visible(*, provider_id: int) -> QuerySet[Review]:
    """What the public sees: visible reviews, newest first."""
    return (
        Review.objects.filter(provider_id=provider_id, hidden_at__isnull=True)
        .select_related("customer")
        .order_by("-created_at", "-id")
    )


def reviews_visible_one(*, review_id: int) -> Review | None:
    return Review.objects.filter(pk=review_id, hidden_at__isnull=True).first()


@dataclass(frozen=True)
class StarBar:
    stars: int
    count: int
    percent: int


def rating_distribution(*, provider_id: int) -> list[StarBar]:
    """Visible reviews per star value, 5★ first, with each one's share in percent."""
    counts = dict(
        Review.objects.filter(provider_id=provider_id, hidden_at__isnull=True)
        .order_by()
        .values("stars")
        .annotate(n=Count("id"))
        .values_list("stars", "n")
    )
    total = sum(counts.values())
    return [
        StarBar(stars=s, count=counts.get(s, 0), percent=round(100 * counts.get(s, 0) / total))
        if total
        else StarBar(stars=s, count=0, percent=0)
        for s in range(5, 0, -1)
    ]


def reviews_for_owner(*, provider: Provider) -> QuerySet[Review]:
    """All of a provider's reviews for their own area, hidden ones included."""
    return (
        Review.objects.filter(provider=provider)
        .select_related("customer")
        .order_by("-created_at", "-id")
    )


def reviews_reported() -> QuerySet[Review]:
    """Reviews with open reports, most reported first, with the open reports attached."""
    open_reports = ReviewReport.objects.filter(resolved_at__isnull=True).select_related("reporter")
    return (
        Review.objects.annotate(
            open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True))
        )
        .filter(open_reports__gt=0)
        .select_related("provider", "customer", "hidden_by")
        .prefetch_related(Prefetch("reports", queryset=open_reports, to_attr="open_report_list"))
        .order_by("-open_reports", "-created_at", "-id")
    )


def reviews_hidden() -> QuerySet[Review]:
    return (
        Review.objects.filter(hidden_at__isnull=False)
        .select_related("provider", "customer", "hidden_by")
        .order_by("-hidden_at", "-id")
    )


def reviews_with_viewer_report(queryset: QuerySet[Review], *, user) -> QuerySet[Review]:
    """Mark each review with whether ``user`` has reported it already."""
    if not user.is_authenticated:
        return queryset
    return queryset.annotate(
        reported_by_viewer=Exists(
            ReviewReport.objects.filter(review=OuterRef("pk"), reporter_id=user.pk)
        )
    )
