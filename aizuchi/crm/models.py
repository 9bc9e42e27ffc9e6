"""The provider's customer cards: what a provider keeps of each customer, on the pair's
relationship row, private to that provider.

The automatic history (sessions, messages, bookings, reviews, money, first and last
contact) is read from the domains that own it; the card holds only what the provider
writes: notes, their own tags, a personality type in the model they chose, the style the
customer prefers, a mismatch flag with the session it came from, and an investment tier.
The block stays the relationship row's one block (the access app writes it).

Tiers are four levels, 1 the most invested; the provider may rename each
(``TierName``), and the defaults are 本命・大切・通常・距離を置く in Japanese.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIER_LEVELS = (1, 2, 3, 4)
TIER_DEFAULT_NAMES = {
    1: _("Core"),
    2: _("Valued"),
    3: _("Regular care"),
    4: _("At a distance"),
}

# The 16 types (four letters) and the four leading functions.
TYPES_16 = tuple(a + b + c + d for a in "EI" for b in "SN" for c in "TF" for d in "JP")
FUNCTIONS = {
    "S": _("Sensing"),
    "N": _("Intuition"),
    "F": _("Feeling"),
    "T": _("Thinking"),
}


class PersonalityModel(models.TextChoices):
    TYPES_16 = "types16", _("16 types")
    FUNCTIONS = "functions", _("Leading function")


class Style(models.TextChoices):
    CHAT = "chat", _("Chit-chat")
    CONSULT = "consult", _("Consultation")


def type_choices(model: str) -> list[tuple[str, str]]:
    if model == PersonalityModel.TYPES_16:
        return [(code, code) for code in TYPES_16]
    if model == PersonalityModel.FUNCTIONS:
        return [(code, str(label)) for code, label in FUNCTIONS.items()]
    return []


def type_label(model: str, code: str) -> str:
    return dict(type_choices(model)).get(code, "")


class Tag(models.Model):
    """One of a provider's own tags."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="crm_tags"
    )
    name = models.CharField(_("tag"), max_length=30)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="crm_tag_once"),
        ]

    def __str__(self) -> str:
        return self.name


class TierName(models.Model):
    """A provider's own name for one tier level (the default when there is none)."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="crm_tier_names"
    )
    level = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "level"], name="crm_tier_name_once"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="crm_tier_level"),
        ]

    def __str__(self) -> str:
        return self.name


class Card(models.Model):
    """What the provider writes of one customer; made by the first write."""

    relationship = models.OneToOneField(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="card"
    )
    personality_model = models.CharField(
        _("personality model"), max_length=10, choices=PersonalityModel.choices, blank=True
    )
    personality_type = models.CharField(_("personality type"), max_length=4, blank=True)
    style = models.CharField(_("preferred style"), max_length=8, choices=Style.choices, blank=True)
    tier = models.PositiveSmallIntegerField(_("tier"), null=True, blank=True)
    mismatch = models.BooleanField(_("not a good match"), default=False)
    mismatch_session = models.ForeignKey(
        "live.Session", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="cards")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer card")
        verbose_name_plural = _("customer cards")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__isnull=True) | Q(tier__gte=1, tier__lte=4), name="crm_card_tier"
            ),
        ]

    def __str__(self) -> str:
        return f"card {self.relationship_id}"

    @property
    def type_label(self) -> str:
        return type_label(self.personality_model, self.personality_type)


class Note(models.Model):
    """A timestamped note on a card."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"), max_length=2000)
    folded = models.TextField(blank=True)  # NFKC + casefold, for search
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["card", "-created_at"], name="crm_note_recent")]

    def __str__(self) -> str:
        return self.text[:40]


class StaffView(models.Model):
    """Staff opened a card in the admin: who, which card, when."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="staff_views")
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("staff view of a card")
        verbose_name_plural = _("staff views of cards")
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"{self.staff_id} → {self.card_id} {self.viewed_at:%Y-%m-%d %H:%M}"


class FollowUpTemplate(models.Model):
    """A provider's text for follow-ups, with placeholders (``followups.PLACEHOLDERS``)."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="crm_templates"
    )
    name = models.CharField(_("name"), max_length=40)
    body = models.TextField(_("text"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up template")
        verbose_name_plural = _("follow-up templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="crm_template_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class FollowUp(models.Model):
    """A follow-up message to one customer: sent now, or at ``send_at`` by the scheduled
    job; delivered as a message in the pair's thread and kept on the card."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("not sent")

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="followups")
    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="crm_followups"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    template = models.ForeignKey(
        FollowUpTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("text"), max_length=2000)  # with placeholders
    text = models.TextField(blank=True)  # as sent
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    send_at = models.DateTimeField(_("send at"))
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-send_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_at"],
                condition=Q(status="scheduled"),
                name="crm_followup_due",
            ),
            models.Index(fields=["provider", "-send_at"], name="crm_followup_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} → {self.customer_id} {self.status}"


class Suggestion(models.Model):
    """ "Today, write to this customer": one row per pair while a reason holds, computed by
    the daily job (never on a page view). ``reasons`` are codes of
    ``services.suggestions.REASONS``; the provider may dismiss it or snooze it
    (``hidden_until``); a follow-up sent to the customer clears it."""

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="crm_suggestions"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reasons = models.JSONField(default=list)
    score = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)
    hidden_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.UniqueConstraint(fields=["provider", "customer"], name="crm_suggestion_once"),
        ]
        indexes = [models.Index(fields=["provider", "-score"], name="crm_suggestion_rank")]

    def __str__(self) -> str:
        return f"{self.provider_id} → {self.customer_id}"
