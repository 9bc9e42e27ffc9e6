"""Reputation: what customers say about providers and the standing that follows.

A ``Review`` belongs to one completed ``live.Session``; ``ReviewReport`` asks staff to look
at one; ``RankAssessment`` records the figures of one run of the rank job. The provider's
public face (``rating_avg``, ``rating_count``, ``rank``, ``recommend_score``) stays on
``storefront.Provider`` and is written through storefront's standing services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.storefront.models import Rank


class Review(models.Model):
    """A customer's word on one completed session: 1–5 stars and text; one reply."""

    session = models.OneToOneField("live.Session", on_delete=models.PROTECT, related_name="review")
    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="reviews"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written"
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    text = models.TextField(_("review"), max_length=2000, blank=True)
    reply = models.TextField(_("reply"), max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "-created_at"], name="reputation_review_recent")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="reputation_review_stars_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(reply="") | models.Q(replied_at__isnull=False),
                name="reputation_review_reply_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} ★{self.stars}"


class ReviewReport(models.Model):
    """Someone asks staff to look at a review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "reporter"], name="reputation_review_report_once"
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.review_id} by {self.reporter_id}"


class RankAssessment(models.Model):
    """One run of the rank job for one provider: the figures and the rank they gave."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="assessments"
    )
    computed_at = models.DateTimeField(default=timezone.now)
    rank = models.PositiveSmallIntegerField(choices=Rank.choices)
    sales_yen = models.PositiveBigIntegerField()
    sessions_completed = models.PositiveIntegerField()
    completion_rate = models.FloatField()
    repeat_rate = models.FloatField()
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2)

    class Meta:
        ordering = ["provider", "-computed_at"]
        indexes = [
            models.Index(fields=["provider", "-computed_at"], name="reputation_assess_recent")
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} rank {self.rank} at {self.computed_at:%Y-%m-%d}"
