"""Booking a time, and everything after: approval, cancelling, moving, not coming, reminders.

A booking is made for a free slot (``slots.slot_at``) in one transaction that holds the
prepaid price on the customer's points, checks the time is still free, and inserts the
row, which the database refuses if someone took the slot first (one live booking per slot
start; no overlaps on PostgreSQL). On SQLite the transaction holds the write lock from its
start; on PostgreSQL it first takes a row lock on the provider's settings; so the check and
the insert cannot be split by another booking. Either way the loser hears "just
taken" and nothing of theirs changed.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.access.policy import (
    Action,
    BookingFacts,
    access_check,
    access_facts,
    insufficient_points_to_book,
)
from aizuchi.billing import ledger, pricing
from aizuchi.billing.models import Hold
from aizuchi.billing.selectors import wallet_balance_yen
from aizuchi.billing.services.charges import booking_fee_charge
from aizuchi.billing.services.holds import hold_create, hold_release
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, Refusal, Refused, lazy_format
from aizuchi.core.idempotency import idempotent
from aizuchi.core.money import object_id
from aizuchi.core.readers import as_read_by
from aizuchi.core.tasks import enqueue_on_commit, send_email
from aizuchi.core.text import NULL_CHARACTERS, has_null
from aizuchi.notifications.services import notification_send
from aizuchi.relationships.selectors import relationship_for
from aizuchi.relationships.services import relationship_booking_dropped, relationship_booking_made
from aizuchi.storefront.models import Offering
from aizuchi.storefront.selectors.offerings import offering_get

from ..models import LIVE_STATUSES, Booking, BookingReminder, BookingSettings
from ..selectors import BOOKING_NOT_FOUND, booking_get_for_participant
from .slots import booking_settings_for, slot_at, slot_calendar

START_INVALID = _("Choose one of the times shown.")
JUST_TAKEN = _("Someone has just booked this time. Please choose another.")
NOT_AVAILABLE = _("This time cannot be booked. Please choose one of the times shown.")
NEWCOMERS_ONLY = _(
    "This time is kept for people meeting %(provider)s for the first time. "
    "Please choose another time."
)
NOT_PENDING = _("This booking is not waiting for an answer.")
NOT_LIVE = _("This booking is no longer open.")
TOO_LATE_TO_MOVE = _("It is too late to move this booking; you can still cancel it.")
NOT_YET = _("You can mark a no-show ten minutes after the start.")
ALREADY_ENTERED = _("The session of this booking has taken place.")
REASON_TOO_LONG = _("Keep the reason to 300 characters.")
NOTE_TOO_LONG = _("Keep this to %(max)d characters.")
NOTE_CONTROL = _("Remove the invisible control characters from this text.")
NOTE_MAX = 500

# Domains above booking that hear of each booking made (messaging puts its note in the
# pair's thread): registered from their AppConfig.ready, called inside the booking's
# transaction, so the booking and what they make of it commit together.
_made_listeners: list[Callable[[Booking], None]] = []


def booking_made_listen(listener: Callable[[Booking], None]) -> None:
    if listener not in _made_listeners:
        _made_listeners.append(listener)


NO_SHOW_AFTER = dt.timedelta(minutes=10)
# How often the housekeeping job runs; reminders and expiries are this late at most.
HOUSEKEEPING_EVERY = dt.timedelta(minutes=5)


def _start(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput({"start": [START_INVALID]}) from None
    if moment.tzinfo is None:
        raise InvalidInput({"start": [START_INVALID]})
    return moment.astimezone(dt.UTC)


def _note(text) -> str:
    """What the customer would like to talk about: line breaks and tabs kept, other
    control characters refused."""
    note = str(text or "").replace("\r\n", "\n").strip()
    if any(unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t" for char in note):
        raise InvalidInput({"note": [NOTE_CONTROL]})
    if len(note) > NOTE_MAX:
        raise InvalidInput({"note": [lazy_format(NOTE_TOO_LONG, max=NOTE_MAX)]})
    return note


def _reason(text) -> str:
    reason = (text or "").strip()
    if len(reason) > 300:
        raise InvalidInput({"reason": [REASON_TOO_LONG]})
    if has_null(reason):
        raise InvalidInput({"reason": [NULL_CHARACTERS]})
    return reason


def _notify(user, kind: str, booking: Booking, **params) -> None:
    notification_send(
        user=user,
        kind=kind,
        params={
            "provider": booking.provider.display_name,
            "customer": str(booking.customer.public_name),
            "start": booking.start_at.isoformat(),
            **params,
        },
        url=reverse("booking:detail", args=[booking.pk]),
    )


def expire_stale(*, provider=None, now: dt.datetime | None = None) -> int:
    """Requests the provider did not answer in time free their slot and points."""
    now = now or timezone.now()
    stale = Booking.objects.filter(status=Booking.Status.PENDING, pending_until__lte=now)
    if provider is not None:
        stale = stale.filter(provider=provider)
    expired = 0
    for booking in stale.select_related("provider__user", "customer", "hold"):
        with transaction.atomic():
            changed = Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING).update(
                status=Booking.Status.EXPIRED, decided_at=now
            )
            if not changed:
                continue
            if booking.hold is not None:
                hold_release(hold=booking.hold)
            _dropped(booking)
            _notify(booking.customer, "booking_expired", booking)
            expired += 1
    return expired


# --- making a booking ------------------------------------------------------------------------


def booking_request(*, customer, offering_id, start, key: str, note="", now=None) -> Booking:
    """Book the slot of ``offering_id`` starting at ``start``, with what the customer would
    like to talk about (``note``, optional). Refuses with every reason (newcomer-only
    time, weekly limit, block, overdue invoice, points), or ``Conflict`` when someone took
    the time first; a retry with the same key returns the booking."""
    now = now or timezone.now()
    start_at = _start(start)
    text = _note(note)
    wanted = object_id(offering_id)
    params: dict = {"offering": wanted, "start": start_at.isoformat()}
    if text:
        params["note"] = text
    try:
        return idempotent(
            key=f"user:{customer.pk}:{key}",
            name="booking_request",
            params=params,
            perform=lambda: _book(customer, wanted, start_at, now, text),
        )
    except _PointsSpent as spent:
        # Spent between the check and the hold (a session, another tab): the booking went
        # with its transaction; say how many points there are now.
        balance = wallet_balance_yen(customer=customer)
        refusal = insufficient_points_to_book(price_yen=spent.price_yen, balance=balance)
        raise Refused([refusal]) from None


class _PointsSpent(Exception):
    """The wallet could not pay a booking's hold after the check said it could."""

    def __init__(self, price_yen: int) -> None:
        super().__init__(price_yen)
        self.price_yen = price_yen


def _dropped(booking: Booking) -> None:
    """The booking no longer counts for the customer's weekly cap (declined, expired,
    cancelled)."""
    relationship_booking_dropped(
        provider_id=booking.provider_id, customer_id=booking.customer_id, booking_id=booking.pk
    )


def _checked(customer, offering: Offering, found: BookingSettings, start_at, now, *, expire: bool):
    """Every decision on booking ``start_at``: the access policy (the weekly limit, the
    overdue invoice, the points), the free time and the price. Refuses as booking would.
    ``expire``: let stale requests go first (a write; the booking's, under its lock)."""
    provider = offering.provider
    facts = access_facts(customer=customer, provider=provider, now=now)
    decision = access_check(
        customer=customer,
        provider=provider,
        action=Action.BOOK,
        offering=offering,
        booking_facts=BookingFacts(slot_seconds=found.slot_minutes(offering.channel) * 60),
        now=now,
        facts=facts,
    )
    if decision.reasons:
        raise Refused(decision.reasons)
    newcomer = decision.newcomer
    # How far ahead this customer may book is read from the same row (their tier).
    row = facts.relationship
    calendar = slot_calendar(
        provider=provider, offering=offering, start=start_at, now=now, found=found, relationship=row
    )
    if expire and calendar is not None and calendar.stale:
        # A request its provider left unanswered too long still holds a time in view:
        # it expires (and frees the time) before the time is looked at.
        expire_stale(provider=provider, now=now)
        calendar = slot_calendar(
            provider=provider,
            offering=offering,
            start=start_at,
            now=now,
            found=found,
            relationship=row,
        )
    where = {
        "provider": provider,
        "offering": offering,
        "start": start_at,
        "now": now,
        "relationship": row,
    }
    slot = slot_at(**where, newcomer=newcomer, found=found, calendar=calendar)
    if slot is None:
        if not newcomer and slot_at(**where, newcomer=True, found=found, calendar=calendar):
            raise Refused(
                [
                    Refusal(
                        "newcomers_only",
                        lazy_format(NEWCOMERS_ONLY, provider=provider.display_name),
                    )
                ]
            )
        _not_free(provider, offering, start_at, newcomer, now, found, calendar, row)
    policy = pricing.PricingPolicy.from_offering(offering)
    price = pricing.price_session(
        policy, decision.history, int((slot.end - slot.start).total_seconds())
    ).amount_yen
    return facts, decision, slot, policy, price


@dataclass(frozen=True)
class BookingQuote:
    """What booking a time would mean, shown before the customer confirms it."""

    offering: Offering
    start_at: dt.datetime
    end_at: dt.datetime
    price_yen: int
    prepaid: bool
    confirm_instantly: bool
    newcomers_slot: bool
    cancel_deadline: dt.datetime
    late_cancel_percent: int
    late_fee_yen: int
    deadline_passed: bool


def booking_quote(*, customer, offering_id, start, now=None) -> BookingQuote:
    """The terms of booking ``start`` of ``offering_id`` for ``customer`` now, without
    booking: the price, the free cancellation deadline and the late fee, and whether the
    deadline has passed already. Refuses (``Refused``, ``Conflict``, ``InvalidInput``,
    ``NotFound``) exactly as ``booking_request`` would at this moment; reads only."""
    now = now or timezone.now()
    start_at = _start(start)
    offering = offering_get(offering_id=object_id(offering_id), active_only=True)
    found = booking_settings_for(offering.provider)
    _facts, _decision, slot, policy, price = _checked(
        customer, offering, found, start_at, now, expire=False
    )
    deadline = slot.start - dt.timedelta(hours=found.cancel_hours)
    return BookingQuote(
        offering=offering,
        start_at=slot.start,
        end_at=slot.end,
        price_yen=price,
        prepaid=policy.payment == pricing.PREPAID,
        confirm_instantly=found.confirm_instantly,
        newcomers_slot=slot.newcomers_only,
        cancel_deadline=deadline,
        late_cancel_percent=found.late_cancel_percent,
        late_fee_yen=price * found.late_cancel_percent // 100,
        deadline_passed=deadline <= now,
    )


def _book(customer, offering_id: int | None, start_at, now, note: str = "") -> Booking:
    """Book under the provider's lock: every decision on what is committed now (the weekly
    limit, the overdue invoice, the points, the free time), read in three queries (the
    offering with the lock, the access facts, the provider's calendar)."""
    # From here to the commit, one booking at a time per provider.
    offering, found = _offering_locked(offering_id)
    provider = offering.provider
    facts, decision, slot, policy, price = _checked(
        customer, offering, found, start_at, now, expire=True
    )
    newcomer = decision.newcomer
    blocked_until = slot.end + dt.timedelta(minutes=found.buffer_minutes)
    pending = not found.confirm_instantly
    hold = None
    if policy.payment == pricing.PREPAID and price:
        hold = _hold(customer, provider, slot, price, facts.money.accounts)
    try:
        # The slot was found free under the provider's lock (nobody booked meanwhile);
        # the database's constraints are the last word. The transaction fails as a whole
        # if they refuse: no savepoint of its own.
        booking = Booking.objects.create(
            provider=provider,
            customer=customer,
            offering=offering,
            channel=offering.channel,
            start_at=slot.start,
            end_at=slot.end,
            blocked_until=blocked_until,
            newcomers_slot=slot.newcomers_only,
            status=Booking.Status.PENDING if pending else Booking.Status.CONFIRMED,
            pending_until=(
                min(now + dt.timedelta(minutes=found.approval_hold_minutes), slot.start)
                if pending
                else None
            ),
            decided_at=None if pending else now,
            policy=policy.as_dict(),
            price_yen=price,
            hold=hold,
            note=note,
        )
    except IntegrityError:
        raise Conflict(JUST_TAKEN, code="just_taken") from None
    relationship_booking_made(
        provider_id=provider.pk,
        customer_id=customer.pk,
        booking_id=booking.pk,
        created_at=booking.created_at,
        seen=facts.relationship,
    )
    for listener in _made_listeners:
        listener(booking)
    _notify(
        provider.user,
        "booking_requested" if pending else "booking_made",
        booking,
        newcomer=newcomer,
    )
    return booking


def _offering_locked(offering_id: int | None) -> tuple[Offering, BookingSettings]:
    """The open offering (with its provider and their user) and the provider's booking
    settings, locked (``_provider_lock``), in one query. ``NotFound`` for an offering not
    open for sale; the first booking of a provider who never saved settings makes them."""
    offerings = (
        Offering.objects.select_related("provider__user", "provider__booking_settings")
        .filter(pk=offering_id or -1, is_active=True, provider__booking_settings__isnull=False)
        .select_for_update(of=("provider__booking_settings",))
    )
    offering = offerings.first()
    if offering is None:
        offering = offering_get(offering_id=offering_id, active_only=True)
        _provider_lock(offering.provider)
        offering = offerings.get()
    return offering, offering.provider.booking_settings


def _provider_lock(provider) -> BookingSettings:
    """Take the provider's booking lock until the transaction ends, so the "is it free?"
    check and the insert (or move) are one step. SQLite: the write lock the transaction
    holds already. PostgreSQL: a row lock on the provider's settings; without it, two
    overlapping inserts each wait on the other in the exclusion constraint's check (a
    deadlock, one of them a server error) instead of one hearing "just taken". Taken
    before any booking row is written (expiring stale requests, moving), so no one holds
    a booking row while waiting for it. The first booking of a provider who never saved
    their settings makes the row (with the defaults) here."""
    found = BookingSettings.objects.select_for_update().filter(provider=provider).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            BookingSettings.objects.create(provider=provider)
    except IntegrityError:  # made by a concurrent booking or save meanwhile
        pass
    return BookingSettings.objects.select_for_update().get(provider=provider)


def _not_free(
    provider, offering, start_at, newcomer, now, found=None, calendar=None, relationship=None
) -> NoReturn:
    """Refuse a time that is not a free slot: "just taken" when it is a slot someone
    booked (the page the customer chose from showed it free), else "cannot be booked"."""
    if slot_at(
        provider=provider,
        offering=offering,
        start=start_at,
        newcomer=newcomer,
        relationship=relationship,
        now=now,
        ignore_bookings=True,
        found=found,
        calendar=calendar,
    ):
        raise Conflict(JUST_TAKEN, code="just_taken")
    raise Conflict(NOT_AVAILABLE, code="not_available")


def _hold(customer, provider, slot, price, accounts) -> Hold:
    """The booking's points held (before its row is written, which refers to the hold),
    posted to the accounts the access facts read. Once, as the booking itself is
    (booking_request is idempotent on its key)."""
    try:
        return hold_create(
            customer=customer,
            amount_yen=price,
            provider=provider,
            reference=f"booking:{provider.pk}:{slot.start:%Y%m%dT%H%MZ}",
            accounts=accounts,
        )
    except ledger.InsufficientFunds:
        raise _PointsSpent(price) from None


# --- after the booking -----------------------------------------------------------------------


def _providers_booking(user, booking_id) -> Booking:
    booking = booking_get_for_participant(user=user, booking_id=booking_id)
    if booking.provider.user_id != user.pk:
        raise NotFound(BOOKING_NOT_FOUND)
    return booking


def booking_confirm(*, user, booking_id, now=None) -> Booking:
    """The provider accepts a request that waits for their answer."""
    now = now or timezone.now()
    booking = _providers_booking(user, booking_id)
    with transaction.atomic():
        changed = Booking.objects.filter(
            pk=booking.pk, status=Booking.Status.PENDING, pending_until__gt=now
        ).update(status=Booking.Status.CONFIRMED, decided_at=now, pending_until=None)
        if not changed:
            raise Conflict(NOT_PENDING)
        booking.refresh_from_db()
        _notify(booking.customer, "booking_confirmed", booking)
    return booking


def booking_decline(*, user, booking_id, reason: str = "", now=None) -> Booking:
    now = now or timezone.now()
    booking = _providers_booking(user, booking_id)
    reason = _reason(reason)
    with transaction.atomic():
        changed = Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING).update(
            status=Booking.Status.DECLINED, decided_at=now, cancel_reason=reason
        )
        if not changed:
            raise Conflict(NOT_PENDING)
        booking.refresh_from_db()
        if booking.hold is not None:
            hold_release(hold=booking.hold)
        _dropped(booking)
        _notify(booking.customer, "booking_declined", booking, reason=reason)
    return booking


def cancellation_fee_yen(booking: Booking, *, by_customer: bool, now: dt.datetime) -> int:
    """What cancelling now costs: nothing before the deadline or when the provider
    cancels; after the deadline, the provider's share of the price."""
    if not by_customer or booking.status == Booking.Status.PENDING:
        return 0
    found = booking_settings_for(booking.provider)
    deadline = booking.start_at - dt.timedelta(hours=found.cancel_hours)
    if now < deadline:
        return 0
    return booking.price_yen * found.late_cancel_percent // 100


def booking_cancel(*, user, booking_id, reason: str = "", now=None) -> Booking:
    """Either side cancels a live booking that has not started. A customer cancelling
    after the deadline pays the late fee from what was held; the rest is released."""
    now = now or timezone.now()
    booking = booking_get_for_participant(user=user, booking_id=booking_id)
    reason = _reason(reason)
    by_customer = booking.customer_id == user.pk
    with transaction.atomic():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if locked.status not in LIVE_STATUSES or locked.session_id or locked.end_at <= now:
            raise Conflict(NOT_LIVE)
        fee = cancellation_fee_yen(locked, by_customer=by_customer, now=now)
        Booking.objects.filter(pk=locked.pk).update(
            status=Booking.Status.CANCELLED,
            cancelled_at=now,
            cancelled_by=user,
            cancel_reason=reason,
        )
        booking.refresh_from_db()
        if fee:
            booking_fee_charge(booking=booking, amount_yen=fee, hold=booking.hold)
        elif booking.hold is not None:
            hold_release(hold=booking.hold)
        _dropped(booking)
        other = booking.provider.user if by_customer else booking.customer
        _notify(other, "booking_cancelled", booking, reason=reason, fee=fee)
    return booking


def booking_reschedule(*, user, booking_id, start, now=None) -> Booking:
    """Move a live booking to another free slot of the same offering. A customer may move
    it until the free-cancellation deadline; the provider until it starts."""
    now = now or timezone.now()
    booking = booking_get_for_participant(user=user, booking_id=booking_id)
    start_at = _start(start)
    by_customer = booking.customer_id == user.pk
    found = booking_settings_for(booking.provider)
    row = relationship_for(provider_id=booking.provider_id, customer_id=booking.customer_id)
    newcomer = row.is_newcomer
    try:
        with transaction.atomic():
            _provider_lock(booking.provider)
            # Decided on the booking as it is now (a cancellation racing the move wins
            # or loses whole, and the move never brings a cancelled booking back).
            booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
            if (
                booking.status not in LIVE_STATUSES
                or booking.start_at <= now
                or booking.session_id
                or booking.offering is None  # the offer was withdrawn: cancel instead
            ):
                raise Conflict(NOT_LIVE)
            if by_customer and cancellation_fee_yen(booking, by_customer=True, now=now):
                raise Conflict(TOO_LATE_TO_MOVE, code="too_late")
            # Free this booking's own time while looking, put it back if nothing fits.
            Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
            slot = slot_at(
                provider=booking.provider,
                offering=booking.offering,
                start=start_at,
                newcomer=newcomer,
                relationship=row,
                now=now,
            )
            if slot is None:
                _not_free(
                    booking.provider, booking.offering, start_at, newcomer, now, relationship=row
                )
            Booking.objects.filter(pk=booking.pk).update(
                status=booking.status,
                start_at=slot.start,
                end_at=slot.end,
                blocked_until=slot.end + dt.timedelta(minutes=found.buffer_minutes),
                newcomers_slot=slot.newcomers_only,
                sequence=F("sequence") + 1,
            )
            booking.refresh_from_db()
            BookingReminder.objects.filter(booking=booking).delete()
            other = booking.provider.user if by_customer else booking.customer
            _notify(other, "booking_moved", booking)
    except IntegrityError:
        raise Conflict(JUST_TAKEN, code="just_taken") from None
    return booking


def booking_no_show(*, user, booking_id, now=None) -> Booking:
    """The provider marks that the customer did not come; the late fee applies."""
    now = now or timezone.now()
    booking = _providers_booking(user, booking_id)
    with transaction.atomic():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if locked.status != Booking.Status.CONFIRMED:
            raise Conflict(NOT_LIVE)
        if locked.session_id:
            raise Conflict(ALREADY_ENTERED)
        if now < locked.start_at + NO_SHOW_AFTER:
            raise Conflict(NOT_YET, code="too_early")
        found = booking_settings_for(locked.provider)
        fee = locked.price_yen * found.late_cancel_percent // 100
        Booking.objects.filter(pk=locked.pk).update(status=Booking.Status.NO_SHOW, decided_at=now)
        booking.refresh_from_db()
        if fee:
            booking_fee_charge(booking=booking, amount_yen=fee, hold=booking.hold)
        elif booking.hold is not None:
            hold_release(hold=booking.hold)
        _notify(booking.customer, "booking_no_show", booking, fee=fee)
    return booking


def booking_session_started(*, booking: Booking, session_id: int) -> None:
    """The customer came in from the booking: the session is the booking's."""
    Booking.objects.filter(pk=booking.pk, session_id__isnull=True).update(session_id=session_id)
    booking.session_id = booking.session_id or session_id


def booking_session_ended(*, session_id: int) -> None:
    Booking.objects.filter(session_id=session_id, status=Booking.Status.CONFIRMED).update(
        status=Booking.Status.COMPLETED
    )


# --- reminders --------------------------------------------------------------------------------


REMINDERS = (
    (BookingReminder.Kind.DAY_BEFORE, dt.timedelta(hours=24)),
    (BookingReminder.Kind.HOUR_BEFORE, dt.timedelta(hours=1)),
)


def _remind(booking: Booking, kind: str) -> bool:
    try:
        with transaction.atomic():
            BookingReminder.objects.create(booking=booking, kind=kind)
            for person in (booking.customer, booking.provider.user):
                _notify(person, "booking_reminder", booking, when=kind)
            customer = booking.customer
            with as_read_by(customer):
                context = {
                    "booking": booking,
                    "kind": kind,
                    "customer": customer,
                    "url": settings.AIZUCHI_SITE_URL + reverse("booking:detail", args=[booking.pk]),
                }
                subject = render_to_string("booking/email/reminder_subject.txt", context).strip()
                body = render_to_string("booking/email/reminder.txt", context)
            enqueue_on_commit(send_email, subject=subject, body=body, to=[customer.email])
    except IntegrityError:
        return False
    return True


def booking_reminders_send(*, now: dt.datetime | None = None) -> int:
    """A day and an hour before each confirmed booking, remind both sides; each reminder
    is recorded once (a booking made within the hour gets only the hour's)."""
    now = now or timezone.now()
    sent = 0
    upcoming = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            start_at__gt=now,
            start_at__lte=now + dt.timedelta(hours=24),
        )
        .select_related("provider__user", "customer")
        .prefetch_related("reminders")
    )
    for booking in upcoming:
        done = {reminder.kind for reminder in booking.reminders.all()}
        left = booking.start_at - now
        # The latest reminder whose time has come; an earlier one is not sent late.
        due = [kind for kind, before in REMINDERS if left <= before]
        if due and due[-1] not in done and not (due[-1] == "day" and "hour" in done):
            sent += _remind(booking, due[-1])
    return sent


def booking_housekeeping(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {"expired": expire_stale(now=now), "reminded": booking_reminders_send(now=now)}
