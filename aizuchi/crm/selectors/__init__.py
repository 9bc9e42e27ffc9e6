"""Reads of the customer cards and their gates: a card, its notes and its tags are seen
only by the provider whose customer it is. Every gate raises ``NotFound`` alike for
"missing" and "not yours", so ids cannot be probed; customers never see a card."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.booking.models import Booking
from aizuchi.core.errors import NotFound
from aizuchi.core.money import object_id
from aizuchi.live.models import Session
from aizuchi.messaging.models import Message, Thread
from aizuchi.relationships.models import Relationship
from aizuchi.reputation.models import Review
from aizuchi.storefront.selectors.query import normalize

from ..models import (
    TIER_DEFAULT_NAMES,
    TIER_LEVELS,
    Card,
    FollowUp,
    FollowUpTemplate,
    Note,
    Suggestion,
    Tag,
    TierName,
)

CARD_NOT_FOUND = _("That customer is not one of yours.")
NOTE_NOT_FOUND = _("That note does not exist.")

LIST_PAGE_SIZE = 50
HISTORY_LIMIT = 50


# --- tiers and tags ---------------------------------------------------------------------------


def tier_names(*, provider) -> dict[int, str]:
    """Each tier level's name: the provider's own, else the default."""
    own = dict(TierName.objects.filter(provider=provider).values_list("level", "name"))
    return {level: own.get(level) or str(TIER_DEFAULT_NAMES[level]) for level in TIER_LEVELS}


def tags_for_provider(*, provider) -> QuerySet[Tag]:
    return Tag.objects.filter(provider=provider).order_by("name")


# --- the gates ----------------------------------------------------------------------------------


@dataclass
class CardView:
    """One customer as their provider sees them: the relationship row and the card (an
    unsaved one when the provider has written nothing yet)."""

    provider: Any
    customer: Any
    relationship: Relationship
    card: Card
    tier_names: dict[int, str]
    notes: list[Note] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    @property
    def tier_name(self) -> str:
        return self.tier_names.get(self.card.tier or 0, "")

    @property
    def latest_note(self) -> Note | None:
        return self.notes[0] if self.notes else None


def _pair_exists(provider, customer_id: int) -> Relationship | None:
    """The pair's relationship row when they have been in touch (a session, a booking or
    a thread: as messaging's ``customer_known``); unsaved when they only wrote to each
    other; None otherwise."""
    if customer_id == provider.user_id:
        return None
    row = (
        Relationship.objects.select_related("customer", "card__mismatch_session")
        .filter(provider=provider, customer_id=customer_id)
        .first()
    )
    if row is not None and row.first_contact_at is not None:
        return row
    thread = (
        Thread.objects.select_related("customer")
        .filter(provider=provider, customer_id=customer_id)
        .first()
    )
    if thread is None:
        return None
    return row or Relationship(provider=provider, customer=thread.customer)


def card_get_for_provider(*, provider, customer_id) -> CardView:
    """The card of ``customer_id`` for ``provider`` (one of theirs: a session, a
    booking or a thread); ``NotFound`` for anyone else."""
    pk = object_id(customer_id)
    if provider is None or pk is None:
        raise NotFound(CARD_NOT_FOUND)
    row = _pair_exists(provider, pk)
    if row is None:
        raise NotFound(CARD_NOT_FOUND)
    card = getattr(row, "card", None) if row.pk else None
    if card is None:
        card = Card(relationship=row)
        notes: list[Note] = []
        tags: list[Tag] = []
    else:
        notes = list(card.notes.all())
        tags = list(card.tags.order_by("name"))
    return CardView(
        provider=provider,
        customer=row.customer,
        relationship=row,
        card=card,
        tier_names=tier_names(provider=provider),
        notes=notes,
        tags=tags,
    )


def note_get_for_provider(*, provider, note_id) -> Note:
    """A note on one of the provider's cards."""
    pk = object_id(note_id)
    if provider is None or pk is None:
        raise NotFound(NOTE_NOT_FOUND)
    note = (
        Note.objects.select_related("card__relationship")
        .filter(pk=pk, card__relationship__provider=provider)
        .first()
    )
    if note is None:
        raise NotFound(NOTE_NOT_FOUND)
    return note


def card_for_session(*, provider, session_id) -> CardView:
    """The card of the customer of one of the provider's sessions (a ring)."""
    pk = object_id(session_id)
    session = (
        Session.objects.filter(pk=pk, provider=provider).only("customer_id").first()
        if pk is not None and provider is not None
        else None
    )
    if session is None:
        raise NotFound(CARD_NOT_FOUND)
    return card_get_for_provider(provider=provider, customer_id=session.customer_id)


def card_brief_for_provider(*, provider, customer_id) -> CardView | None:
    """The card for the places it shows beside something else (the ring, the live
    session, the thread, a booking): None when the customer is not the provider's."""
    try:
        return card_get_for_provider(provider=provider, customer_id=customer_id)
    except NotFound:
        return None


# --- the automatic history ------------------------------------------------------------------


@dataclass
class History:
    sessions: list[Session]
    bookings: list[Booking]
    reviews: list[Review]
    thread: Thread | None
    messages: list[Message]
    last_session: Session | None


def card_history(*, view: CardView) -> History:
    """What the domains know of the pair, newest first."""
    provider, customer = view.provider, view.customer
    sessions = list(
        Session.objects.filter(provider=provider, customer=customer)
        .select_related("concept_version")
        .order_by("-requested_at", "-id")[:HISTORY_LIMIT]
    )
    bookings = list(
        Booking.objects.filter(provider=provider, customer=customer).order_by("-start_at", "-id")[
            :HISTORY_LIMIT
        ]
    )
    reviews = list(
        Review.objects.filter(provider=provider, customer=customer, hidden_at__isnull=True)
        .select_related("session")
        .order_by("-created_at")[:HISTORY_LIMIT]
    )
    thread = Thread.objects.filter(provider=provider, customer=customer).first()
    messages = (
        list(
            Message.objects.filter(thread=thread, hidden_at__isnull=True).order_by(
                "-created_at", "-id"
            )[:10]
        )
        if thread is not None
        else []
    )
    for session in sessions:
        seconds = session_length_seconds(session)
        session.length_minutes = (  # type: ignore[attr-defined]
            (seconds + 59) // 60 if session.started_at and session.ended_at else None
        )
    last = next((s for s in sessions if s.status == Session.Status.COMPLETED), None)
    return History(
        sessions=sessions,
        bookings=bookings,
        reviews=reviews,
        thread=thread,
        messages=messages,
        last_session=last,
    )


def session_length_seconds(session: Session) -> int:
    if session.started_at and session.ended_at:
        return max(0, int((session.ended_at - session.started_at).total_seconds()))
    return 0


# --- the customer list ------------------------------------------------------------------------

SORTS = {
    "recent": ("-last_contact_at", "-id"),
    "oldest": ("last_contact_at", "id"),
    "spent": ("-spent_yen", "-id"),
    "sessions": ("-sessions_completed", "-id"),
    "first": ("first_contact_at", "id"),
    "name": ("customer__display_name", "id"),
}


@dataclass(frozen=True)
class ListFilters:
    tier: int | None = None  # 0: no tier set
    tag_id: int | None = None
    personality_type: str = ""
    style: str = ""
    audience: str = ""  # "newcomers" | "regulars"
    seen_within_days: int | None = None
    not_seen_days: int | None = None
    spent_min: int | None = None
    spent_max: int | None = None
    query: str = ""
    sort: str = "recent"


def customers_for_provider(*, provider, filters: ListFilters) -> QuerySet[Relationship]:
    """The provider's customers under ``filters``, sorted; each with its customer and card."""
    rows = Relationship.objects.filter(provider=provider, last_contact_at__isnull=False)
    if filters.tier == 0:
        rows = rows.filter(Q(card__isnull=True) | Q(card__tier__isnull=True))
    elif filters.tier is not None:
        rows = rows.filter(card__tier=filters.tier)
    if filters.tag_id is not None:
        rows = rows.filter(
            Exists(
                Card.tags.through.objects.filter(
                    card_id=OuterRef("card__pk"), tag_id=filters.tag_id
                )
            )
        )
    if filters.personality_type:
        rows = rows.filter(card__personality_type=filters.personality_type)
    if filters.style:
        rows = rows.filter(card__style=filters.style)
    if filters.audience == "newcomers":
        rows = rows.filter(sessions_completed=0)
    elif filters.audience == "regulars":
        rows = rows.filter(sessions_completed__gt=0)
    now = timezone.now()
    if filters.seen_within_days is not None:
        rows = rows.filter(last_contact_at__gte=now - timedelta(days=filters.seen_within_days))
    if filters.not_seen_days is not None:
        rows = rows.filter(last_contact_at__lt=now - timedelta(days=filters.not_seen_days))
    if filters.spent_min is not None:
        rows = rows.filter(spent_yen__gte=filters.spent_min)
    if filters.spent_max is not None:
        rows = rows.filter(spent_yen__lte=filters.spent_max)
    query = normalize(filters.query).strip()
    if query:
        rows = rows.filter(
            Q(customer__display_name__icontains=filters.query.strip())
            | Q(customer__display_name__icontains=query)
            | Exists(Note.objects.filter(card_id=OuterRef("card__pk"), folded__contains=query))
        )
    return rows.select_related("customer", "card").order_by(
        *SORTS.get(filters.sort, SORTS["recent"])
    )


def customers_page(*, provider, filters: ListFilters, page=None, tiers=None) -> Page:
    """One page of the list, with each card's tags, latest note and tier name."""
    found = Paginator(customers_for_provider(provider=provider, filters=filters), LIST_PAGE_SIZE)
    result = found.get_page(page)
    _attach_card_parts(list(result.object_list))
    tiers = tiers if tiers is not None else tier_names(provider=provider)
    for row in result.object_list:
        card = _card_of(row)
        if card is not None:
            card.tier_name = tiers.get(card.tier or 0, "")  # type: ignore[attr-defined]
    return result


def _attach_card_parts(rows: list[Relationship]) -> None:
    cards = {row.card.pk: row.card for row in rows if _card_of(row) is not None}
    for card in cards.values():
        card.tag_list = []  # type: ignore[attr-defined]
        card.latest_note = None  # type: ignore[attr-defined]
    if not cards:
        return
    for link in Card.tags.through.objects.filter(card_id__in=cards).select_related("tag"):
        cards[link.card_id].tag_list.append(link.tag)  # type: ignore[attr-defined]
    for note in Note.objects.filter(card_id__in=cards).order_by("card_id", "-created_at", "-id"):
        card = cards[note.card_id]
        if card.latest_note is None:  # type: ignore[attr-defined]
            card.latest_note = note  # type: ignore[attr-defined]


def _card_of(row: Relationship) -> Card | None:
    try:
        return row.card
    except Card.DoesNotExist:
        return None


def customers_export_rows(*, provider, filters: ListFilters, tiers: dict[int, str]):
    """The filtered list as rows for a spreadsheet, header first (streamed in chunks)."""
    yield [
        str(_("Customer")),
        str(_("Tier")),
        str(_("Tags")),
        str(_("Personality type")),
        str(_("Preferred style")),
        str(_("Completed sessions")),
        str(_("Total spent (yen)")),
        str(_("First contact")),
        str(_("Last contact")),
        str(_("Latest note")),
    ]
    rows = customers_for_provider(provider=provider, filters=filters)
    chunk: list[Relationship] = []
    for row in rows.iterator(chunk_size=500):
        chunk.append(row)
        if len(chunk) == 500:
            yield from _export_chunk(chunk, tiers)
            chunk = []
    yield from _export_chunk(chunk, tiers)


def _export_chunk(rows: list[Relationship], tiers: dict[int, str]):
    _attach_card_parts(rows)
    for row in rows:
        card = _card_of(row)
        note = getattr(card, "latest_note", None) if card else None
        yield [
            row.customer.public_name,
            tiers.get(card.tier or 0, "") if card else "",
            " ".join(tag.name for tag in getattr(card, "tag_list", [])) if card else "",
            card.type_label if card else "",
            card.get_style_display() if card and card.style else "",
            row.sessions_completed,
            row.spent_yen,
            _iso(row.first_contact_at),
            _iso(row.last_contact_at),
            note.text if note else "",
        ]


def _iso(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


# --- follow-ups --------------------------------------------------------------------------------


def followups_for_card(*, view: CardView) -> list[FollowUp]:
    if view.card.pk is None:
        return []
    return list(FollowUp.objects.filter(card=view.card).order_by("-send_at", "-id")[:HISTORY_LIMIT])


def followups_for_provider(*, provider, page=None) -> Page:
    rows = (
        FollowUp.objects.filter(provider=provider)
        .select_related("customer")
        .order_by("-send_at", "-id")
    )
    return Paginator(rows, LIST_PAGE_SIZE).get_page(page)


def templates_for_provider(*, provider) -> QuerySet[FollowUpTemplate]:
    return FollowUpTemplate.objects.filter(provider=provider).order_by("name")


# --- suggestions -------------------------------------------------------------------------------


def suggestions_for_provider(*, provider, now: datetime | None = None, limit: int = 5) -> list:
    """Today's suggestions as the job left them: not dismissed or snoozed, never a
    customer blocked since."""
    now = now or timezone.now()
    blocked = Relationship.objects.filter(
        provider_id=OuterRef("provider_id"),
        customer_id=OuterRef("customer_id"),
        blocked_at__isnull=False,
    )
    return list(
        Suggestion.objects.filter(provider=provider)
        .filter(Q(hidden_until__isnull=True) | Q(hidden_until__lte=now))
        .exclude(Exists(blocked))
        .select_related("customer")
        .order_by("-score", "customer_id")[:limit]
    )
