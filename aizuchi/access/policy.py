"""The one access policy: may this customer do X with this provider now?

``access_check`` answers for an ``Action`` (call or chat now, book; later: message,
register for an event) with every reason that stands in the way at once, each with a
stable code, a message in the reader's language and where to go to fix it, plus the next
steps a page offers (book a time kept for newcomers, keep as a favourite, pay the
invoice, buy points). It reads, never writes.

Its inputs:

- the relationship row (``relationships``): newcomer or regular, blocked, invited,
  answered drop-ins and bookings in the last 7 days;
- the provider's ``AccessPolicy``;
- the provider's presence state (a column of the provider, written by ``presence``);
- billing's money facts (an overdue invoice, the points balance; ``billing.pricing``);
- booking facts, passed in by the caller (``BookingFacts``): live asks booking whether the
  customer's own booking, or someone else's, is on now; booking passes the price of the
  slot to book.

The first four are read together, in one query (``access_facts``).

Calling or chatting now, in order:

1. Blocked: that is all the customer hears (no money reasons).
2. Offline, away or in a session: not now.
3. The customer's own booking is on now (or they were invited, in appointment standby):
   they come in by appointment, in open or appointment standby.
4. Someone else's booking is on now: the time is kept for them, unless the provider opens
   an unused reserved time to everyone after N minutes.
5. Appointment standby takes only the booked and the invited (by the console's invitation,
   or by tier: the provider's most invested customers, ``AccessPolicy.invited_tiers``).
6. Open standby takes drop-ins within the policy: newcomers by reservation only, regulars
   by appointment only, at most N drop-ins a week.
7. Money, added to the above: one's own storefront, a closed offer, an overdue invoice,
   and for prepaid offers points for the first minute (not needed for a booked session,
   which its booking's hold pays).

Booking a time: one's own storefront, or blocked, is all one hears; otherwise the weekly
booking cap, an overdue invoice, and for prepaid offers the points the slot holds.

Registering for an event (and seeing one: a blocked customer does not): one's own
storefront, or blocked, is all one hears; otherwise an overdue invoice (for a paid event)
and, for a prepaid price, the points it holds (``AttendFacts``, passed in by events).

Sending a message (whatever the provider's presence: busy, waiting for an appointment or
offline, a message waits for them): one's own storefront, or blocked, is all one hears;
otherwise the provider's ``MessagePolicy`` for the customer's audience (newcomer or
regular): closed; free messages left in the period (counted by messaging, passed in as
``MessageFacts``); after them a price or nothing; for a price, the points it takes
(prepaid) or an overdue invoice (postpaid). The decision's ``message`` says what this
message costs and how many free ones remain, before the customer sends it.
"""

from __future__ import annotations

import enum
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, FilteredRelation, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aizuchi.billing import pricing
from aizuchi.billing.selectors import MoneyFacts, money_facts_annotations, money_facts_from
from aizuchi.core.errors import Refusal, lazy_format
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.models import PresenceState, Provider, StandbyWindow

from .models import MESSAGE_POLICY_DEFAULTS, AccessPolicy, MessagePolicy


class Action(enum.StrEnum):
    CALL = "call"  # a voice session now
    CHAT = "chat"  # a chat session now
    BOOK = "book"  # a reservation
    MESSAGE = "message"  # a direct message
    ATTEND = "attend"  # see and register for an event

    @classmethod
    def for_channel(cls, channel: str) -> Action:
        return cls.CALL if channel == "voice" else cls.CHAT


# --- every message, once ------------------------------------------------------------------

OWN_STOREFRONT = _("This is your own storefront.")
OFFERING_CLOSED = _("This offer is not open at the moment.")
BLOCKED = _("%(provider)s is not taking sessions from you.")
BLOCKED_BOOKING = _("%(provider)s is not taking bookings from you.")
OFFLINE = _("%(provider)s is offline right now.")
AWAY = _("%(provider)s has stepped away for a moment.")
BUSY = _("%(provider)s is talking with someone right now.")
APPOINTMENT_ONLY = _("%(provider)s is waiting for someone with an appointment right now.")
RESERVED_NOW = _("%(provider)s has a reservation with someone right now.")
NEWCOMERS_BOOK = _(
    "%(provider)s meets people for the first time by reservation. Choose a time to book."
)
REGULARS_BOOK = _("%(provider)s meets regular customers by appointment. Choose a time to book.")
DROP_IN_LIMIT = _(
    "%(provider)s takes at most %(limit)d drop-in sessions a week from one person, "
    "and you have had them. An appointment still works."
)
BOOKINGS_LIMIT = _("%(provider)s takes at most %(limit)d bookings a week from one person.")
OVERDUE_INVOICE = _(
    "You have an unpaid invoice from %(provider)s that is past its due date. "
    "Please pay it, and you can talk again right away."
)
OVERDUE_INVOICE_BOOKING = _(
    "You have an unpaid invoice from %(provider)s that is past its due date. Please pay it first."
)
INSUFFICIENT_POINTS = _(
    "One minute costs ¥%(needed)s and you have ¥%(balance)s in points. Buy points to start."
)
INSUFFICIENT_POINTS_BOOKING = _(
    "This booking holds ¥%(price)s of points until it takes place, and you have "
    "¥%(balance)s. Buy points to book."
)
MESSAGES_BLOCKED = _("%(provider)s is not taking messages from you.")
MESSAGES_CLOSED = _("%(provider)s is not taking messages at the moment.")
FREE_MESSAGES_USED = _(
    "You have sent the free messages %(provider)s takes from one person (%(count)d)."
)
FREE_MESSAGES_USED_MONTH = _(
    "You have sent this month's free messages to %(provider)s (%(count)d). "
    "They start again on %(resets)s."
)
OVERDUE_INVOICE_MESSAGE = _(
    "You have an unpaid invoice from %(provider)s that is past its due date. "
    "Please pay it before sending paid messages."
)
BLOCKED_EVENTS = _("%(provider)s is not taking registrations from you.")
OVERDUE_INVOICE_EVENT = _(
    "You have an unpaid invoice from %(provider)s that is past its due date. "
    "Please pay it before registering."
)
INSUFFICIENT_POINTS_EVENT = _(
    "This event holds ¥%(price)s of points until it starts, and you have ¥%(balance)s. "
    "Buy points to register."
)
INSUFFICIENT_POINTS_MESSAGE = _(
    "This message costs ¥%(price)s in points and you have ¥%(balance)s. Buy points to send it."
)

# Reasons that mean "come back another time" to someone new: insights count these.
MISSED_NEWCOMER_CODES = ("busy", "appointment_only", "reserved_now")
# Reasons after which booking a time is the way in.
BOOK_INSTEAD_CODES = (
    "busy",
    "appointment_only",
    "reserved_now",
    "offline",
    "away",
    "newcomers_by_reservation",
    "regulars_by_appointment",
    "drop_in_limit",
)

STEP_BOOK = _("Book a time")
STEP_BOOK_NEWCOMER = _("Book a time kept for newcomers")
STEP_FAVOURITE = _("Keep them in your favourites")
STEP_PAY_INVOICE = _("Pay the invoice")
STEP_BUY_POINTS = _("Buy points")
STEP_MESSAGE = _("Send a message")
STEP_CALL = _("Call or chat now")
STEP_NEWCOMER_SLOT = _("Take a time kept for newcomers")


@dataclass(frozen=True)
class NextStep:
    """Something the customer can do instead: ``code`` (book, message, favourite,
    pay_invoice, buy_points; for messages also call, newcomer_slot), a label in the
    reader's language and where."""

    code: str
    label: str | Promise
    url: str


@dataclass(frozen=True)
class BookingFacts:
    """What the booking domain knows of now, passed in by the caller (access sits below
    booking and does not ask it)."""

    # The customer's own confirmed booking with the provider is on now (or about to be),
    # and the offering it was made for.
    mine_now: bool = False
    mine_offering_id: int | None = None
    # Anyone's confirmed booking with the provider on now: when it starts, and whether
    # its session has begun.
    reserved_start_at: datetime | None = None
    reserved_used: bool = False
    # BOOK: the length of the slot to book (its price is held on prepaid points).
    slot_seconds: int | None = None


NO_BOOKINGS = BookingFacts()


def _none_sent(since: datetime | None) -> int:
    return 0


@dataclass(frozen=True)
class MessageFacts:
    """What the messaging domain knows, passed in by the caller (access sits below it):
    how many free messages the customer has sent the provider since a moment (None:
    ever). Asked only when the provider's policy counts free messages."""

    free_sent_since: Callable[[datetime | None], int] = _none_sent


NO_MESSAGES = MessageFacts()


@dataclass(frozen=True)
class AttendFacts:
    """What the events domain knows of the event to register for, passed in by the caller:
    its price and whether it is taken from prepaid points."""

    price_yen: int = 0
    prepaid: bool = True


NO_ATTEND = AttendFacts()


@dataclass(frozen=True)
class MessageTerms:
    """What one message from this customer to this provider takes, now: shown before
    sending, and checked again inside the send's transaction."""

    audience: str
    mode: str
    max_length: int
    # What this message costs (0: free), paid as ``payment``.
    price_yen: int = 0
    payment: str = MessagePolicy.Payment.PREPAID
    free_count: int = 0
    # Free messages left before this one is sent (free mode).
    free_left: int = 0
    period: str = MessagePolicy.Period.TOTAL
    # Monthly free messages: when they start again.
    resets_at: datetime | None = None
    # Prepaid and priced: the points the customer has.
    balance_yen: int | None = None
    # After the free ones, messages cost this (0: none can be sent).
    price_after_free_yen: int = 0

    @property
    def is_free(self) -> bool:
        return self.price_yen == 0


@dataclass(frozen=True)
class AccessDecision:
    action: Action
    reasons: list[Refusal] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)
    newcomer: bool = True
    # Comes in through appointment standby (a booking on now, an invitation).
    by_appointment: bool = False
    # Paid from the customer's booking on now (no points needed to start).
    booked: bool = False
    state: str = PresenceState.OFFLINE
    # Prepaid: points to hold for a session (the balance, at most what the cap costs) and
    # how long they last (None: no limit).
    hold_yen: int = 0
    affordable_seconds: int | None = None
    history: pricing.History = pricing.FIRST_SESSION
    # BOOK: what the slot costs this customer (held on their points when prepaid).
    price_yen: int = 0
    relationship: Relationship | None = None
    # MESSAGE: what this message costs, how many free ones remain.
    message: MessageTerms | None = None

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def access_policy_for(*, provider) -> AccessPolicy:
    """The provider's policy (the defaults, unsaved, when they never set one)."""
    return AccessPolicy.objects.filter(provider=provider).first() or AccessPolicy(provider=provider)


def default_message_policy(*, provider, audience: str) -> MessagePolicy:
    """The message policy of a provider who never set one for ``audience`` (unsaved)."""
    return MessagePolicy(provider=provider, audience=audience, **MESSAGE_POLICY_DEFAULTS[audience])


def message_policies_for(*, provider) -> dict[str, MessagePolicy]:
    """Both of the provider's message policies, by audience (defaults where unset)."""
    found = {p.audience: p for p in MessagePolicy.objects.filter(provider=provider)}
    return {
        audience: found.get(audience)
        or default_message_policy(provider=provider, audience=audience)
        for audience in MESSAGE_POLICY_DEFAULTS
    }


def month_start(now: datetime, zone_name: str) -> tuple[datetime, datetime]:
    """The calendar month around ``now`` in the zone ``zone_name``: its start and the
    next month's start, as aware datetimes."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("Asia/Tokyo")
    local = now.astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


@dataclass(frozen=True)
class AccessFacts:
    """What the policy reads of one (provider, customer) pair (``access_facts``)."""

    relationship: Relationship  # unsaved and empty when they never met
    policy: AccessPolicy  # the defaults, unsaved, when the provider never set one
    money: MoneyFacts
    message_policies: dict[str, MessagePolicy]  # by audience; defaults, unsaved, where unset
    newcomer_slots: bool  # the provider keeps standby windows for newcomers only

    def message_policy(self, *, newcomer: bool) -> MessagePolicy:
        """The message policy this customer writes under (newcomer or regular)."""
        audience = MessagePolicy.Audience.NEWCOMERS if newcomer else MessagePolicy.Audience.REGULARS
        return self.message_policies[audience]


def access_facts(*, customer, provider, now: datetime | None = None) -> AccessFacts:
    """Everything the policy reads of this pair, in one query: the relationship row, the
    provider's access policy and both message policies (joined to the provider's row),
    whether they keep newcomer-only standby, and billing's money facts (an overdue
    invoice, the points and the accounts a hold posts to; subqueries). A caller that
    writes the relationship row after deciding (a booking) passes it on as read."""
    now = now or timezone.now()
    pair = list(Relationship._meta.concrete_fields)
    policy = list(AccessPolicy._meta.concrete_fields)
    messages = list(MessagePolicy._meta.concrete_fields)
    audiences = {f"messages_{audience}": audience for audience in MESSAGE_POLICY_DEFAULTS}
    row = (
        Provider.objects.filter(pk=provider.pk)
        .annotate(
            pair=FilteredRelation(
                "relationships", condition=Q(relationships__customer_id=customer.pk)
            ),
            **{
                alias: FilteredRelation(
                    "message_policies", condition=Q(message_policies__audience=audience)
                )
                for alias, audience in audiences.items()
            },
        )
        .values(
            *(f"pair__{field.name}" for field in pair),
            *(f"access_policy__{field.name}" for field in policy),
            *(f"{alias}__{field.name}" for alias in audiences for field in messages),
            newcomer_slots=Exists(
                StandbyWindow.objects.filter(provider=OuterRef("pk"), newcomers_only=True)
            ),
            **money_facts_annotations(customer=customer, provider=provider, now=now),
        )
        .get()
    )
    return AccessFacts(
        relationship=_row(Relationship, pair, row, "pair")
        or Relationship(provider_id=provider.pk, customer_id=customer.pk),
        policy=_row(AccessPolicy, policy, row, "access_policy") or AccessPolicy(provider=provider),
        money=money_facts_from(row, customer=customer),
        message_policies={
            audience: _row(MessagePolicy, messages, row, alias)
            or default_message_policy(provider=provider, audience=audience)
            for alias, audience in audiences.items()
        },
        newcomer_slots=row["newcomer_slots"],
    )


def _row(model, fields, row: dict, prefix: str):
    """The ``model`` row joined under ``prefix`` in ``row``, or None when there was none."""
    if row[f"{prefix}__id"] is None:
        return None
    return model.from_db(
        Provider.objects.db,
        [field.attname for field in fields],
        [row[f"{prefix}__{field.name}"] for field in fields],
    )


def _booking_url(provider) -> str:
    return reverse("booking:provider", args=[provider.pk])


def _message_url(provider) -> str:
    return reverse("messaging:to_provider", args=[provider.pk])


def access_check(
    *,
    customer,
    provider,
    action: Action | str,
    offering=None,
    booking_facts: BookingFacts = NO_BOOKINGS,
    message_facts: MessageFacts = NO_MESSAGES,
    attend_facts: AttendFacts = NO_ATTEND,
    now: datetime | None = None,
    facts: AccessFacts | None = None,
) -> AccessDecision:
    """May ``customer`` do ``action`` with ``provider`` now? Every reason at once. The pair's
    facts are read in one query (``access_facts``), or passed in as a caller read them."""
    now = now or timezone.now()
    action = Action(action)
    facts = facts or access_facts(customer=customer, provider=provider, now=now)
    history = pricing.History(earlier_sessions=facts.relationship.sessions_billed)
    if action == Action.BOOK:
        return _book(customer, provider, offering, facts, history, booking_facts, now)
    if action == Action.MESSAGE:
        return _message(customer, provider, facts, history, message_facts, now)
    if action == Action.ATTEND:
        return _attend(customer, provider, facts, history, attend_facts)
    return _talk(customer, provider, offering, action, facts, history, booking_facts, now)


def _refusal(code: str, message, provider, url: str = "", **params) -> Refusal:
    return Refusal(code, lazy_format(message, provider=provider.display_name, **params), url)


def _talk(customer, provider, offering, action, known, history, facts, now) -> AccessDecision:
    row = known.relationship
    state = provider.presence_state
    newcomer = row.is_newcomer
    common = {"action": action, "newcomer": newcomer, "state": state, "relationship": row}
    if row.is_blocked:
        return AccessDecision(
            reasons=[_refusal("blocked", BLOCKED, provider)], history=history, **common
        )
    reasons: list[Refusal] = []
    by_appointment = False
    policy = known.policy
    if state in (PresenceState.OFFLINE, PresenceState.AWAY, PresenceState.IN_SESSION):
        code, message = {
            PresenceState.OFFLINE: ("offline", OFFLINE),
            PresenceState.AWAY: ("away", AWAY),
            PresenceState.IN_SESSION: ("busy", BUSY),
        }[PresenceState(state)]
        reasons.append(_refusal(code, message, provider))
    elif facts.mine_now or (
        state == PresenceState.APPOINTMENT
        and (row.is_invited(now) or row.tier_within(policy.invited_tiers))
    ):
        by_appointment = True
    else:
        reasons += _drop_in_reasons(provider, policy, row, state, facts, now)
    booked = facts.mine_now and offering is not None and facts.mine_offering_id == offering.pk
    money, hold_yen, affordable = _money(customer, provider, offering, history, booked, known)
    decision = AccessDecision(
        reasons=reasons + money,
        by_appointment=by_appointment,
        booked=booked,
        hold_yen=hold_yen,
        affordable_seconds=affordable,
        history=history,
        **common,
    )
    return _with_next_steps(decision, provider, known)


def _drop_in_reasons(provider, policy, row, state, facts, now) -> list[Refusal]:
    opens_after = policy.appointment_opens_after_minutes
    reserved = facts.reserved_start_at is not None
    unused = (
        reserved
        and not facts.reserved_used
        and opens_after is not None
        and now >= facts.reserved_start_at + timedelta(minutes=opens_after)
    )
    url = _booking_url(provider)
    if reserved and not unused:
        return [_refusal("reserved_now", RESERVED_NOW, provider, url)]
    if state == PresenceState.APPOINTMENT and not unused:
        return [_refusal("appointment_only", APPOINTMENT_ONLY, provider, url)]
    if row.is_newcomer and policy.newcomers_by_reservation:
        return [_refusal("newcomers_by_reservation", NEWCOMERS_BOOK, provider, url)]
    if not row.is_newcomer and not policy.regulars_drop_in:
        return [_refusal("regulars_by_appointment", REGULARS_BOOK, provider, url)]
    limit = policy.drop_ins_per_week
    if limit is not None and row.drop_ins_since(now) >= limit:
        return [_refusal("drop_in_limit", DROP_IN_LIMIT, provider, url, limit=limit)]
    return []


def _money(customer, provider, offering, history, booked, known: AccessFacts):
    """The money reasons to call or chat now; for prepaid, the points to hold."""
    reasons: list[Refusal] = []
    if provider.user_id == customer.pk:
        reasons.append(Refusal("own_storefront", OWN_STOREFRONT))
    if offering is None or not offering.is_active or offering.provider_id != provider.pk:
        reasons.append(Refusal("offering_closed", OFFERING_CLOSED))
    overdue = known.money.overdue_invoice_id
    if overdue is not None:
        reasons.append(
            _refusal(
                "overdue_invoice",
                OVERDUE_INVOICE,
                provider,
                reverse("billing:invoice", args=[overdue]),
            )
        )
    hold_yen, affordable = 0, None
    if offering is not None and offering.payment == pricing.PREPAID:
        policy = pricing.PricingPolicy.from_offering(offering)
        balance = known.money.balance_yen
        needed = pricing.first_minute_yen(policy, history)
        if balance < needed and not booked:
            reasons.append(insufficient_points_to_talk(needed=needed, balance=balance))
        cap_cost = pricing.cap_cost_yen(policy, history)
        hold_yen = balance if cap_cost is None else min(balance, cap_cost)
        affordable = pricing.affordable_seconds(policy, history, hold_yen)
    return reasons, hold_yen, affordable


def _book(customer, provider, offering, known, history, facts, now) -> AccessDecision:
    row = known.relationship
    common = {
        "action": Action.BOOK,
        "newcomer": row.is_newcomer,
        "state": provider.presence_state,
        "history": history,
        "relationship": row,
    }
    if provider.user_id == customer.pk:
        return AccessDecision(reasons=[Refusal("own_storefront", OWN_STOREFRONT)], **common)
    if row.is_blocked:
        return AccessDecision(reasons=[_refusal("blocked", BLOCKED_BOOKING, provider)], **common)
    reasons: list[Refusal] = []
    limit = known.policy.bookings_per_week
    if limit is not None and row.bookings_since(now) >= limit:
        reasons.append(_refusal("bookings_limit", BOOKINGS_LIMIT, provider, limit=limit))
    overdue = known.money.overdue_invoice_id
    if overdue is not None:
        reasons.append(
            _refusal(
                "overdue_invoice",
                OVERDUE_INVOICE_BOOKING,
                provider,
                reverse("billing:invoice", args=[overdue]),
            )
        )
    price = 0
    if offering is not None and facts.slot_seconds:
        policy = pricing.PricingPolicy.from_offering(offering)
        price = pricing.price_session(policy, history, facts.slot_seconds).amount_yen
        if policy.payment == pricing.PREPAID and price:
            balance = known.money.balance_yen
            if balance < price:
                reasons.append(insufficient_points_to_book(price_yen=price, balance=balance))
    decision = AccessDecision(reasons=reasons, price_yen=price, **common)
    return _with_next_steps(decision, provider, known)


def _attend(customer, provider, known: AccessFacts, history, facts: AttendFacts):
    """Registering for an event: one's own storefront, or blocked, is all one hears (a
    blocked customer does not see the provider's events at all); otherwise an overdue
    invoice, and for a prepaid price the points it holds."""
    row = known.relationship
    common = {
        "action": Action.ATTEND,
        "newcomer": row.is_newcomer,
        "state": provider.presence_state,
        "history": history,
        "relationship": row,
        "price_yen": facts.price_yen,
    }
    if provider.user_id == customer.pk:
        return AccessDecision(reasons=[Refusal("own_storefront", OWN_STOREFRONT)], **common)
    if row.is_blocked:
        return AccessDecision(reasons=[_refusal("blocked", BLOCKED_EVENTS, provider)], **common)
    reasons: list[Refusal] = []
    overdue = known.money.overdue_invoice_id
    if overdue is not None and facts.price_yen:
        reasons.append(
            _refusal(
                "overdue_invoice",
                OVERDUE_INVOICE_EVENT,
                provider,
                reverse("billing:invoice", args=[overdue]),
            )
        )
    if facts.prepaid and facts.price_yen and known.money.balance_yen < facts.price_yen:
        reasons.append(
            insufficient_points_to_attend(
                price_yen=facts.price_yen, balance=known.money.balance_yen
            )
        )
    decision = AccessDecision(reasons=reasons, **common)
    return _with_next_steps(decision, provider, known)


def insufficient_points_to_attend(*, price_yen: int, balance: int) -> Refusal:
    """The refusal of a registration whose hold the points do not cover (also when a
    payment raced it between the check and the hold)."""
    return Refusal(
        "insufficient_points",
        lazy_format(INSUFFICIENT_POINTS_EVENT, price=f"{price_yen:,}", balance=f"{balance:,}"),
        reverse("billing:wallet"),
    )


def _message(
    customer, provider, known: AccessFacts, history, facts: MessageFacts, now
) -> AccessDecision:
    row = known.relationship
    newcomer = row.is_newcomer
    common = {
        "action": Action.MESSAGE,
        "newcomer": newcomer,
        "state": provider.presence_state,
        "history": history,
        "relationship": row,
    }
    if provider.user_id == customer.pk:
        return AccessDecision(reasons=[Refusal("own_storefront", OWN_STOREFRONT)], **common)
    if row.is_blocked:
        return AccessDecision(reasons=[_refusal("blocked", MESSAGES_BLOCKED, provider)], **common)
    policy = known.message_policy(newcomer=newcomer)
    terms = MessageTerms(
        audience=policy.audience,
        mode=policy.mode,
        max_length=policy.max_length,
        payment=policy.payment,
        period=policy.free_period,
    )
    reasons: list[Refusal] = []
    price = 0
    if policy.mode == MessagePolicy.Mode.CLOSED:
        reasons.append(_refusal("messages_closed", MESSAGES_CLOSED, provider))
    elif policy.mode == MessagePolicy.Mode.PAID:
        price = policy.price_yen
    else:
        since, resets = None, None
        if policy.free_period == MessagePolicy.Period.MONTH:
            since, resets = month_start(now, provider.user.time_zone)
        free_left = max(0, policy.free_count - facts.free_sent_since(since))
        terms = _replace(
            terms,
            free_count=policy.free_count,
            free_left=free_left,
            resets_at=resets,
            price_after_free_yen=policy.price_yen,
        )
        if free_left == 0:
            if policy.price_yen:
                price = policy.price_yen
            elif resets is not None:
                # The provider's month: its first day as a date (not moved to the reader's zone).
                resets_on = formats.date_format(resets.date(), "MONTH_DAY_FORMAT")
                reasons.append(
                    _refusal(
                        "free_messages_used",
                        FREE_MESSAGES_USED_MONTH,
                        provider,
                        count=policy.free_count,
                        resets=resets_on,
                    )
                )
            else:
                reasons.append(
                    _refusal(
                        "free_messages_used", FREE_MESSAGES_USED, provider, count=policy.free_count
                    )
                )
    if price:
        terms = _replace(terms, price_yen=price)
        if policy.payment == MessagePolicy.Payment.POSTPAID:
            overdue = known.money.overdue_invoice_id
            if overdue is not None:
                reasons.append(
                    _refusal(
                        "overdue_invoice",
                        OVERDUE_INVOICE_MESSAGE,
                        provider,
                        reverse("billing:invoice", args=[overdue]),
                    )
                )
        else:
            balance = known.money.balance_yen
            terms = _replace(terms, balance_yen=balance)
            if balance < price:
                reasons.append(
                    Refusal(
                        "insufficient_points",
                        lazy_format(
                            INSUFFICIENT_POINTS_MESSAGE, price=f"{price:,}", balance=f"{balance:,}"
                        ),
                        reverse("billing:wallet"),
                    )
                )
    decision = AccessDecision(reasons=reasons, message=terms, **common)
    if not reasons and not price:
        return decision
    return _with_message_steps(decision, provider, known)


def _replace(terms: MessageTerms, **changes) -> MessageTerms:
    return MessageTerms(**{**terms.__dict__, **changes})


def _with_message_steps(decision: AccessDecision, provider, known: AccessFacts) -> AccessDecision:
    """A message that is refused or costs something offers the other ways in: a call now
    (when the provider is waiting), a booking, a time kept for newcomers."""
    steps: list[NextStep] = []
    for reason in decision.reasons:
        if reason.code == "overdue_invoice":
            steps.append(NextStep("pay_invoice", STEP_PAY_INVOICE, reason.url))
        elif reason.code == "insufficient_points":
            steps.append(NextStep("buy_points", STEP_BUY_POINTS, reason.url))
    if decision.state == PresenceState.OPEN:
        steps.append(
            NextStep(
                "call", STEP_CALL, reverse("storefront:detail", args=[provider.pk]) + "#offers"
            )
        )
    steps.append(NextStep("book", STEP_BOOK, _booking_url(provider)))
    if decision.newcomer and known.newcomer_slots:
        steps.append(
            NextStep("newcomer_slot", STEP_NEWCOMER_SLOT, _booking_url(provider) + "#newcomers")
        )
    return AccessDecision(**{**decision.__dict__, "next_steps": steps})


def insufficient_points_to_talk(*, needed: int, balance: int) -> Refusal:
    """The refusal of a session whose first minute the points do not pay for (also when
    they were spent between the decision and the hold)."""
    return Refusal(
        "insufficient_points",
        lazy_format(INSUFFICIENT_POINTS, needed=f"{needed:,}", balance=f"{balance:,}"),
        reverse("billing:wallet"),
    )


def insufficient_points_to_book(*, price_yen: int, balance: int) -> Refusal:
    """The refusal of a booking whose hold the points do not cover (also when a payment
    raced it between the check and the hold)."""
    return Refusal(
        "insufficient_points",
        lazy_format(INSUFFICIENT_POINTS_BOOKING, price=f"{price_yen:,}", balance=f"{balance:,}"),
        reverse("billing:wallet"),
    )


def _with_next_steps(decision: AccessDecision, provider, known: AccessFacts) -> AccessDecision:
    """Every refusal offers a way on: pay, buy points, or book (and keep as a favourite)."""
    steps: list[NextStep] = []
    for reason in decision.reasons:
        if reason.code == "overdue_invoice":
            steps.append(NextStep("pay_invoice", STEP_PAY_INVOICE, reason.url))
        elif reason.code == "insufficient_points":
            steps.append(NextStep("buy_points", STEP_BUY_POINTS, reason.url))
    if set(decision.codes) & set(BOOK_INSTEAD_CODES):
        label = STEP_BOOK_NEWCOMER if decision.newcomer else STEP_BOOK
        steps.append(NextStep("book", label, _booking_url(provider)))
        # A message reaches a busy provider (unless they take none from this customer).
        if known.message_policy(newcomer=decision.newcomer).mode != MessagePolicy.Mode.CLOSED:
            steps.append(NextStep("message", STEP_MESSAGE, _message_url(provider)))
        steps.append(
            NextStep(
                "favourite", STEP_FAVOURITE, reverse("storefront:favourite", args=[provider.pk])
            )
        )
    if not steps:
        return decision
    return AccessDecision(**{**decision.__dict__, "next_steps": steps})
