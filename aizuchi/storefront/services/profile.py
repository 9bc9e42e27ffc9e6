"""Every change to a storefront's profile goes through these functions.

Offerings live in ``storefront.offerings``, the standby plan in ``storefront.standby``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from aizuchi.core.errors import Conflict, InvalidInput
from aizuchi.core.models import max_length
from aizuchi.core.names import name_clean
from aizuchi.notifications.services import notification_send

from ..models import Category, ConceptVersion, Provider, ProviderTag
from ..strings import ALREADY_OPEN, CONCEPT_REQUIRED, NAME_REQUIRED, UNKNOWN_CATEGORY
from .search import search_document_refresh

_DEFAULT_LIMITS = {
    "TAGS_MAX": 10,
    "TAG_MAX_LENGTH": 20,
    "PRICE_MIN_YEN": 10,
    "PRICE_MAX_YEN": 5000,
    "FIRST_FREE_MINUTES_MAX": 60,
    "SESSION_CAP_MAX_MINUTES": 600,
    "STANDBY_WINDOWS_MAX": 28,
}


def profile_limit(name: str) -> int:
    """One of the limits in ``settings.AIZUCHI_STOREFRONT_PROFILE`` (with built-in defaults)."""
    return getattr(settings, "AIZUCHI_STOREFRONT_PROFILE", {}).get(name, _DEFAULT_LIMITS[name])


CATEGORY_REQUIRED = _("Choose at least one category.")
CONCEPT_TOO_LONG = ngettext_lazy(
    "Keep the concept to %(limit)d character.",
    "Keep the concept to %(limit)d characters.",
    "limit",
)
DESCRIPTION_TOO_LONG = ngettext_lazy(
    "Keep the description to %(limit)d character.",
    "Keep the description to %(limit)d characters.",
    "limit",
)
TOO_MANY_TAGS = ngettext_lazy(
    "Up to %(limit)d tag.",
    "Up to %(limit)d tags.",
    "limit",
)
TAG_TOO_LONG = _("The tag “%(tag)s” is too long: at most %(limit)d characters per tag.")

# Tags are entered in one line, separated by commas (ASCII, full-width or Japanese).
_TAG_SEPARATORS = re.compile(r"[,、，､\n]+")


def tags_parse(text: str) -> list[str]:
    """Split what the provider typed into tag candidates (not yet normalised)."""
    return _TAG_SEPARATORS.split(text or "")


def tags_normalize(names: Iterable[str]) -> list[str]:
    """NFKC, trimmed, a leading "#" dropped (pages show tags as 「#傾聴」, so 「#傾聴」
    and 「傾聴」 are one tag), empty ones and duplicates (ignoring case) dropped, order kept."""
    seen: set[str] = set()
    result: list[str] = []
    for name in names:
        name = " ".join(unicodedata.normalize("NFKC", name or "").split()).lstrip("#").strip()
        key = name.casefold()
        if not name or key in seen:
            continue
        seen.add(key)
        result.append(name)
    return result


def _display_name_clean(value: str, errors: dict[str, list]) -> str:
    """The display name as ``core.names`` cleans every name; a refusal goes into ``errors``."""
    try:
        return name_clean(
            value,
            max_length=max_length(Provider, "display_name"),
            required_message=NAME_REQUIRED,
        )
    except ValidationError as exc:
        errors["display_name"] = [error.message for error in exc.error_list]
        return ""


def _concept_version_start(*, provider: Provider, text: str, now) -> ConceptVersion:
    last = ConceptVersion.objects.filter(provider=provider).aggregate(n=Max("number"))["n"] or 0
    return ConceptVersion.objects.create(
        provider=provider, number=last + 1, text=text, started_at=now
    )


def provider_open(*, user, display_name: str, concept: str, category_slugs: list[str]) -> Provider:
    """Open ``user``'s storefront. A person has at most one."""
    concept = concept.strip()
    errors: dict[str, list] = {}
    display_name = _display_name_clean(display_name, errors)
    if not concept:
        errors["concept"] = [CONCEPT_REQUIRED]
    categories = list(Category.objects.filter(slug__in=set(category_slugs)))
    if len(categories) != len(set(category_slugs)):
        errors["categories"] = [UNKNOWN_CATEGORY]
    if errors:
        raise InvalidInput(errors)

    try:
        with transaction.atomic():
            provider = Provider.objects.create(
                user=user, display_name=display_name, concept=concept
            )
            provider.categories.set(categories)
            _concept_version_start(provider=provider, text=concept, now=provider.created_at)
            search_document_refresh(provider_id=provider.pk)
            notification_send(
                user=user,
                kind="provider_opened",
                params={"display_name": display_name},
                url=reverse("storefront:detail", args=[provider.pk]),
            )
    except IntegrityError:
        # The one-to-one on user is the arbiter, also when two requests race.
        raise Conflict(ALREADY_OPEN, code="already_open") from None
    return provider


def provider_update_profile(
    *,
    provider: Provider,
    display_name: str,
    concept: str,
    description: str = "",
    category_slugs: Iterable[str],
    tags: Iterable[str] | str = (),
    accepts_newcomers: bool = True,
    is_listed: bool = True,
) -> Provider:
    """Save the provider's profile: all of it, or nothing with field errors.

    A changed concept starts a new ``ConceptVersion`` (the previous one ends where the
    next begins); the same concept again starts none. ``tags`` is a list of names or the
    line the provider typed (comma or 、 separated).
    """
    errors: dict[str, list] = {}
    display_name = _display_name_clean(display_name, errors)
    concept = (concept or "").strip()
    description = (description or "").strip()
    category_slugs = set(category_slugs or ())
    tag_names = tags_normalize(tags_parse(tags) if isinstance(tags, str) else tags)

    concept_max = max_length(Provider, "concept")
    description_max = max_length(Provider, "description")
    if not concept:
        errors["concept"] = [CONCEPT_REQUIRED]
    elif len(concept) > concept_max:
        errors["concept"] = [CONCEPT_TOO_LONG % {"limit": concept_max}]
    if len(description) > description_max:
        errors["description"] = [DESCRIPTION_TOO_LONG % {"limit": description_max}]
    categories = list(Category.objects.filter(slug__in=category_slugs))
    if not category_slugs:
        errors["categories"] = [CATEGORY_REQUIRED]
    elif len(categories) != len(category_slugs):
        errors["categories"] = [UNKNOWN_CATEGORY]
    tags_max, tag_len = profile_limit("TAGS_MAX"), profile_limit("TAG_MAX_LENGTH")
    tag_errors = [
        TAG_TOO_LONG % {"tag": name, "limit": tag_len} for name in tag_names if len(name) > tag_len
    ]
    if len(tag_names) > tags_max:
        tag_errors.insert(0, TOO_MANY_TAGS % {"limit": tags_max})
    if tag_errors:
        errors["tags"] = tag_errors
    if errors:
        raise InvalidInput(errors)

    now = timezone.now()
    with transaction.atomic():
        # The row lock keeps concept version numbers in order when two saves race.
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        if concept != locked.concept:
            if not ConceptVersion.objects.filter(provider=locked).exists():
                # Storefronts from before versions existed: the old concept becomes v1.
                _concept_version_start(provider=locked, text=locked.concept, now=locked.created_at)
            _concept_version_start(provider=locked, text=concept, now=now)
        elif not ConceptVersion.objects.filter(provider=locked).exists():
            _concept_version_start(provider=locked, text=concept, now=locked.created_at)
        locked.display_name = display_name
        locked.concept = concept
        locked.description = description
        locked.accepts_newcomers = bool(accepts_newcomers)
        locked.is_listed = bool(is_listed)
        locked.updated_at = now
        locked.save(
            update_fields=[
                "display_name",
                "concept",
                "description",
                "accepts_newcomers",
                "is_listed",
                "updated_at",
            ]
        )
        locked.categories.set(categories)
        current = {tag.name: tag for tag in ProviderTag.objects.filter(provider=locked)}
        ProviderTag.objects.filter(provider=locked).exclude(name__in=tag_names).delete()
        ProviderTag.objects.bulk_create(
            [ProviderTag(provider=locked, name=name) for name in tag_names if name not in current]
        )
        search_document_refresh(provider_id=locked.pk)
    # The caller's object reflects what was saved.
    for field in ("display_name", "concept", "description", "accepts_newcomers", "is_listed"):
        setattr(provider, field, getattr(locked, field))
    provider.updated_at = now
    return provider
