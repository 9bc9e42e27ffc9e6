from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A kind of conversation customers look for (雑談, 傾聴, 恋愛 …)."""

    slug = models.SlugField(unique=True)
    name_ja = models.CharField(max_length=40)
    name_en = models.CharField(max_length=40)
    description_ja = models.CharField(max_length=200, blank=True)
    description_en = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_ja

    @property
    def description(self) -> str:
        return self.description_en if translation.get_language() == "en" else self.description_ja


class PresenceState(models.TextChoices):
    """Where a provider is right now (their standby page, a session, away)."""

    OFFLINE = "offline", _("offline")
    OPEN = "open", _("waiting for callers")
    APPOINTMENT = "appointment", _("appointments only")
    IN_SESSION = "in_session", _("in a session")
    AWAY = "away", _("away")


# States in which the provider is at their desk; "online now" in search.
ONLINE_STATES = (PresenceState.OPEN, PresenceState.APPOINTMENT, PresenceState.IN_SESSION)


class Rank(models.IntegerChoices):
    REGULAR = 0, _("Regular")
    BRONZE = 1, _("Bronze")
    SILVER = 2, _("Silver")
    GOLD = 3, _("Gold")
    PLATINUM = 4, _("Platinum")


def _voice_path(instance: Provider, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"providers/{instance.pk}/voice/{uuid.uuid4().hex}.{suffix}"


class Provider(models.Model):
    """A person's storefront: who they are and what they offer.

    One per user; the same person stays a customer everywhere else.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider"
    )
    display_name = models.CharField(_("display name"), max_length=40)
    concept = models.CharField(
        _("concept"),
        max_length=80,
        help_text=_("One line that tells callers who you are, e.g. 「夜でも、ゆっくり聞きます」."),
    )
    description = models.TextField(_("description"), blank=True, max_length=4000)
    categories = models.ManyToManyField(
        Category, related_name="providers", blank=True, verbose_name=_("categories")
    )
    accepts_newcomers = models.BooleanField(_("accepts newcomers"), default=True)
    is_listed = models.BooleanField(_("shown in search and listings"), default=True)
    voice_sample = models.FileField(_("voice sample"), upload_to=_voice_path, blank=True)
    voice_sample_type = models.CharField(max_length=40, blank=True)
    # Standing, recomputed by the rank job (reputation.services.ranks); read by listings and sorts.
    rank = models.PositiveSmallIntegerField(_("rank"), choices=Rank.choices, default=Rank.REGULAR)
    recommend_score = models.IntegerField(default=0)
    # Aggregates kept in step by the services that change their sources.
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)
    price_from = models.PositiveIntegerField(null=True, blank=True)
    # Where the provider is now: read by every page that shows them, written only by the
    # presence domain (aizuchi.presence.services), with a row lock and a push.
    presence_state = models.CharField(
        _("presence"), max_length=12, choices=PresenceState.choices, default=PresenceState.OFFLINE
    )
    # While in a session: the standby the provider returns to when it ends (or offline).
    presence_after_session = models.CharField(
        max_length=12, choices=PresenceState.choices, default=PresenceState.OFFLINE, blank=True
    )
    presence_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        indexes = [
            models.Index(fields=["-recommend_score", "-id"], name="storefront_provider_recommend"),
            models.Index(
                fields=["-rank", "-recommend_score", "-id"], name="storefront_provider_rank"
            ),
            models.Index(
                fields=["-rating_avg", "-rating_count", "-id"], name="storefront_provider_rating"
            ),
            models.Index(fields=["price_from", "-id"], name="storefront_provider_price"),
            models.Index(fields=["presence_state"], name="storefront_provider_presence"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(display_name=""), name="storefront_provider_name_set"
            ),
            models.CheckConstraint(
                condition=~models.Q(concept=""), name="storefront_provider_concept_set"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("storefront:detail", args=[self.pk])


class ConceptVersion(models.Model):
    """Each change of a provider's concept starts a new version.

    Sessions remember the version that was current when they started, so insights
    can compare how each concept did.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="concepts")
    number = models.PositiveIntegerField()
    text = models.CharField(max_length=80)
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "number"], name="storefront_concept_version_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(text=""), name="storefront_concept_text_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} v{self.number}: {self.text}"


class ProviderTag(models.Model):
    """A free specialist topic (発達障害, 介護, 転職 …) beside the fixed categories."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=20)

    class Meta:
        ordering = ["provider", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="storefront_tag_unique"),
            models.CheckConstraint(condition=~models.Q(name=""), name="storefront_tag_name_set"),
        ]

    def __str__(self) -> str:
        return self.name


def _image_path(instance: ProviderImage, filename: str) -> str:
    return f"providers/{instance.provider_id}/images/{uuid.uuid4().hex}.webp"


def _thumbnail_path(instance: ProviderImage, filename: str) -> str:
    return f"providers/{instance.provider_id}/images/{uuid.uuid4().hex}-thumb.webp"


class ProviderImage(models.Model):
    """A photo on the provider's page; re-encoded on upload, with a thumbnail."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=_image_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=_thumbnail_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(_("caption"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "position", "id"]

    def __str__(self) -> str:
        return self.image.name


class VideoLink(models.Model):
    """A YouTube or Vimeo video, embedded only when the visitor clicks it."""

    class Platform(models.TextChoices):
        YOUTUBE = "youtube", "YouTube"
        VIMEO = "vimeo", "Vimeo"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="videos")
    url = models.URLField(_("video URL"), max_length=300)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    video_id = models.CharField(max_length=32)
    title = models.CharField(_("title"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "platform", "video_id"], name="storefront_video_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class Offering(models.Model):
    """What a provider sells on one channel: a price per minute and the terms of sale.

    The storefront owns the terms as the provider enters them; the billing domain turns
    them into charges (one pure function) when a session ends.
    """

    class Channel(models.TextChoices):
        VOICE = "voice", _("voice call")
        CHAT = "chat", _("text chat")

    class Rounding(models.TextChoices):
        PER_MINUTE = "minute", _("per started minute")
        PER_SECOND = "second", _("per second")

    class Payment(models.TextChoices):
        PREPAID = "prepaid", _("prepaid (points)")
        POSTPAID = "postpaid", _("postpaid (invoice)")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="offerings")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    price_per_minute = models.PositiveIntegerField(_("price per minute (yen)"))
    rounding = models.CharField(
        _("rounding"), max_length=10, choices=Rounding.choices, default=Rounding.PER_MINUTE
    )
    first_free_minutes = models.PositiveSmallIntegerField(
        _("free minutes on a first session"), default=0
    )
    first_session_cap_minutes = models.PositiveSmallIntegerField(
        _("longest first session (minutes)"), null=True, blank=True
    )
    session_cap_minutes = models.PositiveSmallIntegerField(
        _("longest session (minutes)"), null=True, blank=True
    )
    payment = models.CharField(
        _("payment"), max_length=10, choices=Payment.choices, default=Payment.PREPAID
    )
    is_active = models.BooleanField(_("open for sale"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "channel"]
        indexes = [
            models.Index(
                fields=["channel", "price_per_minute", "provider"],
                condition=models.Q(is_active=True),
                name="storefront_offer_price_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "channel"], name="storefront_offering_one_per_channel"
            ),
            models.CheckConstraint(
                condition=models.Q(price_per_minute__gte=1),
                name="storefront_offering_price_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(first_session_cap_minutes__isnull=True)
                | models.Q(first_session_cap_minutes__gte=1),
                name="storefront_offering_first_cap_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(session_cap_minutes__isnull=True)
                | models.Q(session_cap_minutes__gte=1),
                name="storefront_offering_cap_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.channel} ¥{self.price_per_minute}/min"


class StandbyWindow(models.Model):
    """A recurring time of the week the provider plans to wait for callers.

    Stored as wall-clock time in the provider's own zone, so it follows daylight saving
    and moves with the provider if they change zone. A window may cross midnight.
    """

    class Kind(models.TextChoices):
        OPEN = "open", _("open standby")
        APPOINTMENT = "appointment", _("appointment standby")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="standby_windows")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday, as datetime.weekday()
    start_time = models.TimeField(_("from"))
    minutes = models.PositiveSmallIntegerField(_("length (minutes)"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OPEN)
    # Appointment windows are the hours customers can book; these ones only newcomers.
    newcomers_only = models.BooleanField(_("bookable by newcomers only"), default=False)
    # Kept for the provider's most invested customers: only relationship tiers 1 to this
    # (None: everyone the window is open to) may book it.
    tiers_only = models.PositiveSmallIntegerField(
        _("bookable by ranks 1 to (empty: everyone)"), null=True, blank=True
    )

    class Meta:
        ordering = ["provider", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="storefront_standby_weekday_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(minutes__gte=15, minutes__lte=24 * 60),
                name="storefront_standby_minutes_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.weekday} {self.start_time} +{self.minutes}m"


class BlogPost(models.Model):
    """A post in the provider's blog: Markdown in, sanitised HTML out."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("body (Markdown)"), max_length=20000)
    body_html = models.TextField(editable=False)
    is_published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "-published_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(title=""), name="storefront_post_title_set"),
        ]

    def __str__(self) -> str:
        return self.title


class Favourite(models.Model):
    """A customer keeps a provider on their list."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="favourited_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "provider"], name="storefront_favourite_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ♥ {self.provider_id}"


class SearchDocument(models.Model):
    """What search reads for one provider: their text, folded and cut into bigrams.

    Written only by ``storefront.services.search.search_document_refresh``. On SQLite an FTS5
    table mirrors ``grams``; on PostgreSQL a GIN index covers it (see migration 0003).
    """

    provider = models.OneToOneField(
        Provider, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    text = models.TextField()
    grams = models.TextField()

    def __str__(self) -> str:
        return f"search document {self.provider_id}"
