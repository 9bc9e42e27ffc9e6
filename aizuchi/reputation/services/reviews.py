"""Reviews: a customer's word on one completed session, the provider's one reply,
reports, staff moderation, and the rating aggregate on the provider.

Every change that can move the aggregate calls ``rating_refresh`` in its own
transaction, so ``Provider.rating_avg`` / ``rating_count`` always equal a fresh
computation over the provider's visible (not hidden) reviews.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.core.models import max_length
from aizuchi.live.models import Session
from aizuchi.notifications.services import notification_send
from aizuchi.storefront.services.standing import (
    provider_lock,
    provider_rating_set,
    providers_rating_set,
)

from ..models import Review, ReviewReport
from ..selectors.reviews import SESSION_NOT_FOUND, rating_compute, ratings_compute

TEXT_MAX = max_length(Review, "text")  # 2000
REPLY_MAX = max_length(Review, "reply")  # 2000
REPORT_REASON_MAX = max_length(ReviewReport, "reason")  # 500
HIDE_REASON_MAX = max_length(Review, "hidden_reason")  # 200

REVIEW_NOT_FOUND = _("That review does not exist.")
ALREADY_REVIEWED = _("This session has already been reviewed.")
ALREADY_REPLIED = _("You have already replied to this review.")
ALREADY_REPORTED = _("You have already reported this review.")
ALREADY_HIDDEN = _("This review is already hidden.")
NOT_HIDDEN = _("This review is not hidden.")
STARS_INVALID = _("Choose from 1 to 5 stars.")
TEXT_TOO_LONG = _("Keep it to %(max)d characters.")
REPLY_REQUIRED = _("Write your reply.")
REASON_REQUIRED = _("Say what is wrong with this review.")


def _too_long(limit: int) -> str:
    return TEXT_TOO_LONG % {"max": limit}


# --- the aggregate ------------------------------------------------------------------------


def rating_refresh(*, provider_id: int) -> tuple[Decimal, int]:
    """Recompute the provider's cached rating. Call inside the changing transaction.

    The provider row is locked first, so two changes racing on PostgreSQL compute one
    after the other, the second seeing the first's committed review.
    """
    with transaction.atomic():
        provider_lock(provider_id=provider_id)
        avg, count = rating_compute(provider_id=provider_id)
        provider_rating_set(provider_id=provider_id, rating_avg=avg, rating_count=count)
    return avg, count


def ratings_refresh(*, provider_ids: list[int]) -> int:
    """``rating_refresh`` for many providers at once, for bulk loads (the demo data) that
    write reviews in batches with nobody else changing them: one aggregate query, one
    batched update. Providers without visible reviews get 0. Returns how many changed."""
    figures = ratings_compute(provider_ids=provider_ids)
    zero = (Decimal("0.00"), 0)
    with transaction.atomic():
        providers_rating_set([(pk, *figures.get(pk, zero)) for pk in provider_ids])
    return len(provider_ids)


# --- services -------------------------------------------------------------------------------


def _clean_stars(stars) -> int | None:
    if isinstance(stars, bool):
        return None
    try:
        value = int(stars)
    except (TypeError, ValueError):
        return None
    if isinstance(stars, float) and stars != value:
        return None
    return value if 1 <= value <= 5 else None


def review_create(*, user, session_id: int, stars, text: str = "") -> Review:
    """The customer of a completed session reviews it, once."""
    session = (
        Session.objects.select_related("provider__user")
        .filter(pk=session_id, customer_id=user.pk, status=Session.Status.COMPLETED)
        .first()
    )
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    text = (text or "").strip()
    errors: dict[str, list] = {}
    value = _clean_stars(stars)
    if value is None:
        errors["stars"] = [STARS_INVALID]
    if len(text) > TEXT_MAX:
        errors["text"] = [_too_long(TEXT_MAX)]
    if errors or value is None:
        raise InvalidInput(errors)
    provider = session.provider
    try:
        with transaction.atomic():
            review = Review.objects.create(
                session=session, provider=provider, customer=user, stars=value, text=text
            )
            rating_refresh(provider_id=provider.pk)
            notification_send(
                user=provider.user,
                kind="review_received",
                params={"stars": value, "customer": str(user.public_name)},
                url=reverse("reputation:manage_reviews"),
            )
    except IntegrityError:
        # The one-to-one on session is the arbiter, also when two requests race.
        raise Conflict(ALREADY_REVIEWED, code="already_reviewed") from None
    return review


def review_reply(*, user, review_id: int, text: str) -> Review:
    """The provider of the review answers it, once."""
    review = (
        Review.objects.select_related("provider", "customer")
        .filter(pk=review_id, provider__user_id=user.pk)
        .first()
    )
    if review is None:
        raise NotFound(REVIEW_NOT_FOUND)
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"reply": [REPLY_REQUIRED]})
    if len(text) > REPLY_MAX:
        raise InvalidInput({"reply": [_too_long(REPLY_MAX)]})
    now = timezone.now()
    with transaction.atomic():
        # Conditional update: of two racing replies only one finds the reply still empty.
        changed = Review.objects.filter(pk=review.pk, reply="").update(reply=text, replied_at=now)
        if not changed:
            raise Conflict(ALREADY_REPLIED, code="already_replied")
        review.reply, review.replied_at = text, now
        notification_send(
            user=review.customer,
            kind="review_replied",
            params={"display_name": review.provider.display_name},
            url=reverse("reputation:reviews", args=[review.provider_id]),
        )
    return review


def review_report(*, user, review_id: int, reason: str) -> ReviewReport:
    """Anyone signed in asks staff to look at a visible review, once per review."""
    review = Review.objects.filter(pk=review_id, hidden_at__isnull=True).first()
    if review is None:
        raise NotFound(REVIEW_NOT_FOUND)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [REASON_REQUIRED]})
    if len(reason) > REPORT_REASON_MAX:
        raise InvalidInput({"reason": [_too_long(REPORT_REASON_MAX)]})
    try:
        with transaction.atomic():
            return ReviewReport.objects.create(review=review, reporter=user, reason=reason)
    except IntegrityError:
        raise Conflict(ALREADY_REPORTED, code="already_reported") from None


def _staff_review(user, review_id: int) -> Review:
    # Non-staff see nothing of moderation: the same answer as a missing review.
    if not (user.is_authenticated and user.is_staff):
        raise NotFound(REVIEW_NOT_FOUND)
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise NotFound(REVIEW_NOT_FOUND)
    return review


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [REASON_REQUIRED]})
    if len(reason) > HIDE_REASON_MAX:
        raise InvalidInput({"reason": [_too_long(HIDE_REASON_MAX)]})
    return reason


def _audit(user, review: Review, message: str) -> None:
    """Moderation leaves a line in the admin history of the review."""
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=Review.objects.filter(pk=review.pk),
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def review_hide(*, user, review_id: int, reason: str) -> Review:
    """Staff take a review off public pages and out of the aggregate; reports resolve."""
    reason = _clean_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        review = _staff_review(user, review_id)
        if review.hidden_at is not None:
            raise Conflict(ALREADY_HIDDEN, code="already_hidden")
        review.hidden_at, review.hidden_by, review.hidden_reason = now, user, reason
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        ReviewReport.objects.filter(review=review, resolved_at__isnull=True).update(resolved_at=now)
        rating_refresh(provider_id=review.provider_id)
        _audit(user, review, f"hidden: {reason}")
    return review


def review_unhide(*, user, review_id: int, reason: str) -> Review:
    """Staff put a hidden review back."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        review = _staff_review(user, review_id)
        if review.hidden_at is None:
            raise Conflict(NOT_HIDDEN, code="not_hidden")
        review.hidden_at, review.hidden_by, review.hidden_reason = None, None, ""
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        rating_refresh(provider_id=review.provider_id)
        _audit(user, review, f"shown again: {reason}")
    return review


def review_reports_resolve(*, user, review_id: int) -> int:
    """Staff close a review's open reports without hiding it. Returns how many closed."""
    with transaction.atomic():
        review = _staff_review(user, review_id)
        closed = ReviewReport.objects.filter(review=review, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        _audit(user, review, f"reports resolved: {closed}")
    return closed


# --- selectors ------------------------------------------------------------------------------
