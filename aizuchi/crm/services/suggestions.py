""" "今日連絡したい人": whom the provider might write to today, with the reason shown.
Suggestions, never mass mail: a short ranked list per provider (at most
``SUGGESTIONS_PER_PROVIDER``), computed by the daily job (``suggestions_compute``), never
on a page view.

The rules (``suggest``) are pure: given each pair's facts and the moment, which reasons
hold and how the pairs rank. A blocked customer is never suggested; nor one kept at a
distance (tier 4) for the invested or lapsed reasons; nor one the provider sent a
follow-up within ``QUIET_AFTER_FOLLOWUP``. Sending a follow-up clears the pair's
suggestion at once (``suggestion_clear``, called as the follow-up is sent). The
provider may dismiss one (hidden for ``DISMISS_FOR``) or snooze it (a day or a week).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.booking.models import LIVE_STATUSES, Booking
from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.core.money import object_id
from aizuchi.live.models import Session
from aizuchi.messaging.models import Role, Thread
from aizuchi.messaging.selectors import message_quote_for_customer
from aizuchi.relationships.models import Relationship

from ..models import FollowUp, Suggestion

SUGGESTIONS_PER_PROVIDER = 5
QUIET_AFTER_FOLLOWUP = timedelta(days=7)
DISMISS_FOR = timedelta(days=30)
SNOOZE_CHOICES = {"1": timedelta(days=1), "7": timedelta(days=7)}
# Not seen for this long: an invested customer (by tier) or a regular who has lapsed.
UNSEEN_AFTER = {1: timedelta(days=14), 2: timedelta(days=30)}
LAPSED_AFTER = timedelta(days=45)
LAPSED_MIN_SESSIONS = 3
RECENT_MESSAGE = timedelta(days=3)
BATCH = 2000

REASONS = {
    "booking_tomorrow": (50, _("Has a booking with you tomorrow")),
    "first_session": (40, _("Had a first session with you yesterday: a thank-you?")),
    "invested_unseen": (30, _("One of your most valued customers, not seen for a while")),
    "free_messages_out": (20, _("Has used up their free messages")),
    "lapsed_regular": (10, _("A regular who has not been in touch for a while")),
}

SUGGESTION_NOT_FOUND = _("That suggestion does not exist.")
SNOOZE_UNKNOWN = _("Choose how long to put it off.")


@dataclass(frozen=True)
class PairFacts:
    """What the rules read of one (provider, customer) pair."""

    provider_id: int
    customer_id: int
    tier: int | None = None
    blocked: bool = False
    sessions_completed: int = 0
    last_contact_at: datetime | None = None
    first_completed_at: datetime | None = None  # the first completed session's end
    booking_at: datetime | None = None  # the next live booking's start
    free_messages_out: bool = False
    followup_sent_at: datetime | None = None


def reasons_for(facts: PairFacts, now: datetime) -> list[str]:
    """The reasons that hold for one pair now (none for a blocked customer, or one the
    provider wrote a follow-up to lately)."""
    if facts.blocked:
        return []
    if facts.followup_sent_at is not None and facts.followup_sent_at > now - QUIET_AFTER_FOLLOWUP:
        return []
    found = []
    if facts.booking_at is not None and now + timedelta(
        hours=12
    ) <= facts.booking_at < now + timedelta(hours=36):
        found.append("booking_tomorrow")
    if (
        facts.sessions_completed == 1
        and facts.first_completed_at is not None
        and now - timedelta(hours=36) <= facts.first_completed_at < now
    ):
        found.append("first_session")
    if (
        facts.tier in UNSEEN_AFTER
        and facts.last_contact_at is not None
        and facts.last_contact_at < now - UNSEEN_AFTER[facts.tier]
    ):
        found.append("invested_unseen")
    if facts.free_messages_out:
        found.append("free_messages_out")
    if (
        facts.tier != 4
        and facts.sessions_completed >= LAPSED_MIN_SESSIONS
        and facts.last_contact_at is not None
        and facts.last_contact_at < now - LAPSED_AFTER
        and "invested_unseen" not in found
    ):
        found.append("lapsed_regular")
    return found


def score_for(facts: PairFacts, reasons: list[str]) -> int:
    """Rank: the strongest reason, then the tier (1 first), then the number of reasons."""
    tier_bonus = {1: 8, 2: 6, 3: 2}.get(facts.tier or 0, 0)
    return max(REASONS[r][0] for r in reasons) * 100 + tier_bonus * 10 + len(reasons)


def suggest(
    pairs: list[PairFacts], now: datetime, *, per_provider: int = SUGGESTIONS_PER_PROVIDER
) -> list[tuple[PairFacts, list[str], int]]:
    """The suggestions of these pairs: each provider's best ``per_provider``, ranked."""
    by_provider: dict[int, list[tuple[PairFacts, list[str], int]]] = {}
    for facts in pairs:
        reasons = reasons_for(facts, now)
        if reasons:
            by_provider.setdefault(facts.provider_id, []).append(
                (facts, reasons, score_for(facts, reasons))
            )
    chosen = []
    for found in by_provider.values():
        found.sort(key=lambda entry: (-entry[2], entry[0].customer_id))
        chosen.extend(found[:per_provider])
    return chosen


# --- the job ---------------------------------------------------------------------------------


def _facts(now: datetime, provider_ids: list[int] | None) -> list[PairFacts]:
    """Every pair with a possible reason, read in a few queries over all providers."""
    scope = Q(provider_id__in=provider_ids) if provider_ids is not None else Q()
    pairs: dict[tuple[int, int], dict] = {}

    def add(provider_id: int, customer_id: int, **values) -> None:
        pairs.setdefault((provider_id, customer_id), {}).update(values)

    # Invested (by tier) or lapsed regulars, not seen lately.
    unseen = Relationship.objects.filter(
        scope,
        blocked_at__isnull=True,
        last_contact_at__lt=now - min(UNSEEN_AFTER.values()),
    ).filter(Q(card__tier__in=list(UNSEEN_AFTER)) | Q(sessions_completed__gte=LAPSED_MIN_SESSIONS))
    for provider_id, customer_id in unseen.values_list("provider_id", "customer_id").iterator(
        chunk_size=BATCH
    ):
        add(provider_id, customer_id)
    # A first session that ended in the last day and a half.
    first = (
        Session.objects.filter(
            scope, status=Session.Status.COMPLETED, ended_at__gte=now - timedelta(hours=36)
        )
        .values("provider_id", "customer_id")
        .distinct()
    )
    for row in first.iterator(chunk_size=BATCH):
        add(row["provider_id"], row["customer_id"])
    # A booking tomorrow.
    bookings = (
        Booking.objects.filter(
            scope,
            status__in=LIVE_STATUSES,
            start_at__gte=now + timedelta(hours=12),
            start_at__lt=now + timedelta(hours=36),
        )
        .values("provider_id", "customer_id")
        .annotate(start=Min("start_at"))
    )
    for row in bookings.iterator(chunk_size=BATCH):
        add(row["provider_id"], row["customer_id"], booking_at=row["start"])
    # Customers who wrote lately: have their free messages run out?
    threads = Thread.objects.filter(
        scope, last_sender=Role.CUSTOMER, last_message_at__gte=now - RECENT_MESSAGE
    ).select_related("provider__user", "customer")
    for thread in threads.iterator(chunk_size=BATCH):
        terms = message_quote_for_customer(
            customer=thread.customer, provider=thread.provider, thread=thread, now=now
        ).message
        if terms is not None and terms.free_count > 0 and terms.free_left == 0:
            add(thread.provider_id, thread.customer_id, free_messages_out=True)
    if not pairs:
        return []
    return _complete(pairs, now)


def _complete(pairs: dict[tuple[int, int], dict], now: datetime) -> list[PairFacts]:
    """The relationship row, tier, first completed session and last follow-up of each
    candidate pair, in chunks."""
    keys = list(pairs)
    found: list[PairFacts] = []
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        provider_ids = {p for p, _c in chunk}
        customer_ids = {c for _p, c in chunk}
        wanted = set(chunk)
        rows = {
            (r["provider_id"], r["customer_id"]): r
            for r in Relationship.objects.filter(
                provider_id__in=provider_ids, customer_id__in=customer_ids
            ).values(
                "provider_id",
                "customer_id",
                "blocked_at",
                "sessions_completed",
                "last_contact_at",
                "card__tier",
            )
            if (r["provider_id"], r["customer_id"]) in wanted
        }
        firsts = {
            (r["provider_id"], r["customer_id"]): r["first"]
            for r in Session.objects.filter(
                provider_id__in=provider_ids,
                customer_id__in=customer_ids,
                status=Session.Status.COMPLETED,
            )
            .values("provider_id", "customer_id")
            .annotate(first=Min("ended_at"), n=Count("id"))
            .filter(n=1)
        }
        followed = {
            (r["provider_id"], r["customer_id"]): r["last"]
            for r in FollowUp.objects.filter(
                provider_id__in=provider_ids,
                customer_id__in=customer_ids,
                status=FollowUp.Status.SENT,
                sent_at__gte=now - QUIET_AFTER_FOLLOWUP,
            )
            .values("provider_id", "customer_id")
            .annotate(last=Min("sent_at"))
        }
        for key in chunk:
            row = rows.get(key)
            if row is None:
                continue
            found.append(
                PairFacts(
                    provider_id=key[0],
                    customer_id=key[1],
                    tier=row["card__tier"],
                    blocked=row["blocked_at"] is not None,
                    sessions_completed=row["sessions_completed"],
                    last_contact_at=row["last_contact_at"],
                    first_completed_at=firsts.get(key),
                    booking_at=pairs[key].get("booking_at"),
                    free_messages_out=pairs[key].get("free_messages_out", False),
                    followup_sent_at=followed.get(key),
                )
            )
    return found


def suggestions_compute(
    *, now: datetime | None = None, provider_ids: list[int] | None = None
) -> int:
    """Recompute every provider's suggestions (or these providers'); returns how many
    there are. Dismissed and snoozed ones stay hidden until their time."""
    now = now or timezone.now()
    chosen = suggest(_facts(now, provider_ids), now)
    scope = Q(provider_id__in=provider_ids) if provider_ids is not None else Q()
    with transaction.atomic():
        hidden = {
            (p, c): until
            for p, c, until in Suggestion.objects.filter(scope, hidden_until__gt=now).values_list(
                "provider_id", "customer_id", "hidden_until"
            )
        }
        Suggestion.objects.filter(scope).delete()
        Suggestion.objects.bulk_create(
            [
                Suggestion(
                    provider_id=facts.provider_id,
                    customer_id=facts.customer_id,
                    reasons=reasons,
                    score=score,
                    computed_at=now,
                    hidden_until=hidden.get((facts.provider_id, facts.customer_id)),
                )
                for facts, reasons, score in chosen
            ],
            batch_size=BATCH,
        )
    return len(chosen)


# --- the provider's answers --------------------------------------------------------------------


def suggestion_get_for_provider(*, provider, suggestion_id) -> Suggestion:
    pk = object_id(suggestion_id)
    found = Suggestion.objects.filter(pk=pk, provider=provider).first() if pk is not None else None
    if found is None:
        raise NotFound(SUGGESTION_NOT_FOUND)
    return found


def suggestion_dismiss(*, provider, suggestion_id, now: datetime | None = None) -> Suggestion:
    suggestion = suggestion_get_for_provider(provider=provider, suggestion_id=suggestion_id)
    suggestion.hidden_until = (now or timezone.now()) + DISMISS_FOR
    suggestion.save(update_fields=["hidden_until"])
    return suggestion


def suggestion_snooze(*, provider, suggestion_id, days, now: datetime | None = None) -> Suggestion:
    suggestion = suggestion_get_for_provider(provider=provider, suggestion_id=suggestion_id)
    wait = SNOOZE_CHOICES.get(str(days))
    if wait is None:
        raise InvalidInput({"days": [SNOOZE_UNKNOWN]})
    suggestion.hidden_until = (now or timezone.now()) + wait
    suggestion.save(update_fields=["hidden_until"])
    return suggestion


def suggestion_clear(followup: FollowUp) -> None:
    """A follow-up went out: the pair's suggestion has done its work."""
    Suggestion.objects.filter(
        provider_id=followup.provider_id, customer_id=followup.customer_id
    ).delete()
