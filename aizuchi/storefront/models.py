from django.conf import settings
from django.db import models
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
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
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
