"""Every change to a customer card: the provider's own fields, notes, tags and tier names.

A card is made by the first write (on the pair's relationship row, made too when the two
have only written to each other). Each service takes the provider and a customer id and
goes through the card's gate first, so a provider writes only on their own customers'
cards; bad input is refused field by field and changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import InvalidInput, lazy_format
from aizuchi.core.names import name_has_invisible
from aizuchi.live.models import Session
from aizuchi.relationships.services import relationship_get_or_create, relationship_tier_set
from aizuchi.storefront.selectors.query import normalize

from ..models import (
    TIER_LEVELS,
    Card,
    Note,
    PersonalityModel,
    Style,
    Tag,
    TierName,
    type_choices,
)
from ..selectors import card_get_for_provider, note_get_for_provider

NOTE_MAX = 2000
TAG_MAX = 30
TAGS_PER_CARD = 20
TIER_NAME_MAX = 20

NOTE_EMPTY = _("Write something in the note.")
NOTE_TOO_LONG = _("Keep a note to %(max)d characters.")
TEXT_CONTROL = _("Remove the invisible control characters.")
TYPE_UNKNOWN = _("Choose a type from the list.")
TYPE_WITHOUT_MODEL = _("Choose the model first (16 types or leading function).")
MODEL_UNKNOWN = _("Choose a model from the list.")
STYLE_UNKNOWN = _("Choose chit-chat or consultation.")
TIER_UNKNOWN = _("Choose a tier from the list.")
SESSION_NOT_THEIRS = _("Choose one of this customer's sessions with you.")
TAG_TOO_LONG = _("Keep each tag to %(max)d characters.")
TAG_INVISIBLE = _("Use characters people can see in a tag.")
TOO_MANY_TAGS = _("Use at most %(max)d tags on one card.")
TIER_NAME_TOO_LONG = _("Keep a tier's name to %(max)d characters.")


def note_text_clean(value, *, field: str = "text", max_length: int = NOTE_MAX) -> str:
    """Free text a provider writes on a card: line breaks kept, ends trimmed, control
    characters and direction overrides refused."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if any(
        (unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t")
        or char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
        for char in text
    ):
        raise InvalidInput({field: [TEXT_CONTROL]})
    if len(text) > max_length:
        raise InvalidInput({field: [lazy_format(NOTE_TOO_LONG, max=max_length)]})
    return text


def _card_for_write(*, provider, customer_id) -> Card:
    """The card of one of the provider's customers, made on first write (with its
    relationship row), locked until the transaction ends."""
    view = card_get_for_provider(provider=provider, customer_id=customer_id)
    row = relationship_get_or_create(provider_id=provider.pk, customer_id=view.customer.pk)
    card = Card.objects.select_for_update().filter(relationship=row).first()
    if card is None:
        card = Card.objects.create(relationship=row)
    return card


def tags_parse(value: str | Iterable[str]) -> list[str]:
    """Tags from what the provider typed: separated by commas, 、 or spaces; each cleaned,
    once, in the order given."""
    if isinstance(value, str):
        raw = value.replace("、", ",").replace("，", ",").replace("　", " ")
        parts = [p for chunk in raw.split(",") for p in chunk.split()]
    else:
        parts = [str(p) for p in value]
    errors: list = []
    names: list[str] = []
    for part in parts:
        name = unicodedata.normalize("NFKC", part).strip().lstrip("#")
        if not name:
            continue
        if name_has_invisible(name):
            errors.append(TAG_INVISIBLE)
        elif len(name) > TAG_MAX:
            errors.append(lazy_format(TAG_TOO_LONG, max=TAG_MAX))
        elif name not in names:
            names.append(name)
    if len(names) > TAGS_PER_CARD:
        errors.append(lazy_format(TOO_MANY_TAGS, max=TAGS_PER_CARD))
    if errors:
        raise InvalidInput({"tags": list(dict.fromkeys(errors))})
    return names


def card_update(
    *,
    provider,
    customer_id,
    personality_model: str = "",
    personality_type: str = "",
    style: str = "",
    tier: int | None = None,
    mismatch: bool = False,
    mismatch_session_id: int | None = None,
    tags: str | Iterable[str] = "",
) -> Card:
    """Set the provider's own fields of a card (all of them, as the form shows them)."""
    errors: dict[str, list] = {}
    personality_type = (personality_type or "").strip().upper()
    if personality_model and personality_model not in PersonalityModel.values:
        errors["personality_model"] = [MODEL_UNKNOWN]
    elif personality_type and not personality_model:
        errors["personality_type"] = [TYPE_WITHOUT_MODEL]
    elif personality_type and personality_type not in dict(type_choices(personality_model)):
        errors["personality_type"] = [TYPE_UNKNOWN]
    if style and style not in Style.values:
        errors["style"] = [STYLE_UNKNOWN]
    if tier is not None and tier not in TIER_LEVELS:
        errors["tier"] = [TIER_UNKNOWN]
    try:
        tag_names = tags_parse(tags)
    except InvalidInput as exc:
        errors.update(exc.errors)
    view = card_get_for_provider(provider=provider, customer_id=customer_id)
    session = None
    if mismatch and mismatch_session_id is not None:
        session = Session.objects.filter(
            pk=mismatch_session_id, provider=provider, customer=view.customer
        ).first()
        if session is None:
            errors["mismatch_session"] = [SESSION_NOT_THEIRS]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        card = _card_for_write(provider=provider, customer_id=customer_id)
        card.personality_model = personality_model
        card.personality_type = personality_type
        card.style = style
        card.tier = tier
        card.mismatch = mismatch
        card.mismatch_session = session if mismatch else None
        card.updated_at = timezone.now()
        card.save()
        card.tags.set(_tags_get_or_create(provider, tag_names))
        _tier_to_relationship(card)
    return card


def card_note_and_tier(*, provider, customer_id, text: str, tier: int | None) -> Card:
    """The one step after hanging up: a note (optional) and the tier."""
    errors: dict[str, list] = {}
    try:
        text = note_text_clean(text)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if tier is not None and tier not in TIER_LEVELS:
        errors["tier"] = [TIER_UNKNOWN]
    card_get_for_provider(provider=provider, customer_id=customer_id)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        card = _card_for_write(provider=provider, customer_id=customer_id)
        card.tier = tier
        card.updated_at = timezone.now()
        card.save(update_fields=["tier", "updated_at"])
        _tier_to_relationship(card)
        if text:
            _note_create(card, text)
    return card


def _tier_to_relationship(card: Card) -> None:
    """The relationship row keeps the tier too, for the access policy (same transaction)."""
    row = card.relationship
    if row.tier != card.tier:
        relationship_tier_set(
            provider_id=row.provider_id, customer_id=row.customer_id, tier=card.tier
        )


def _tags_get_or_create(provider, names: list[str]) -> list[Tag]:
    found = {tag.name: tag for tag in Tag.objects.filter(provider=provider, name__in=names)}
    for name in names:
        if name not in found:
            found[name], _created = Tag.objects.get_or_create(provider=provider, name=name)
    return [found[name] for name in names]


def _note_create(card: Card, text: str) -> Note:
    now = timezone.now()
    return Note.objects.create(
        card=card, text=text, folded=normalize(text), created_at=now, updated_at=now
    )


def note_add(*, provider, customer_id, text) -> Note:
    text = note_text_clean(text)
    if not text:
        raise InvalidInput({"text": [NOTE_EMPTY]})
    with transaction.atomic():
        card = _card_for_write(provider=provider, customer_id=customer_id)
        return _note_create(card, text)


def note_edit(*, provider, note_id, text) -> Note:
    note = note_get_for_provider(provider=provider, note_id=note_id)
    text = note_text_clean(text)
    if not text:
        raise InvalidInput({"text": [NOTE_EMPTY]})
    note.text = text
    note.folded = normalize(text)
    note.updated_at = timezone.now()
    note.save(update_fields=["text", "folded", "updated_at"])
    return note


def note_delete(*, provider, note_id) -> None:
    note_get_for_provider(provider=provider, note_id=note_id).delete()


def tier_names_set(*, provider, names: dict[int, str]) -> None:
    """Name the four tiers (a blank name goes back to the default)."""
    cleaned: dict[int, str] = {}
    errors: dict[str, list] = {}
    for level in TIER_LEVELS:
        name = unicodedata.normalize("NFKC", str(names.get(level) or "")).strip()
        if name_has_invisible(name):
            errors[f"tier_{level}"] = [TAG_INVISIBLE]
        elif len(name) > TIER_NAME_MAX:
            errors[f"tier_{level}"] = [lazy_format(TIER_NAME_TOO_LONG, max=TIER_NAME_MAX)]
        cleaned[level] = name
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        for level, name in cleaned.items():
            if name:
                TierName.objects.update_or_create(
                    provider=provider, level=level, defaults={"name": name}
                )
            else:
                TierName.objects.filter(provider=provider, level=level).delete()
