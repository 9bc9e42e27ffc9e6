"""Registering for an event, the waitlist, cancelling, check-in, and the money of a seat.

A registration takes a seat by the event's conditional update (``seats.seat_claim``)
and, for a prepaid price, holds it on the customer's points, in one transaction: when the
points run out in a race the wallet's check constraint refuses the hold and the seat goes
back with the transaction. No seat left: the customer is on the waitlist and hears a
kind "full this time" at once. A seat given back (a cancellation, an offer not taken)
goes to the head of the waitlist, held for ``offer_hold_hours``; the housekeeping job
passes lapsed offers on. At the start the prepaid seats are charged from their holds;
after the end the postpaid seats are invoiced; each seat is charged once
(``billing.services.charges.event_charge``: once per registration), a late cancellation's
fee instead of the price.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.access.policy import (
    AccessDecision,
    Action,
    AttendFacts,
    access_check,
    insufficient_points_to_attend,
)
from aizuchi.billing import ledger
from aizuchi.billing.selectors import wallet_balance_yen
from aizuchi.billing.services.charges import event_charge
from aizuchi.billing.services.holds import hold_create, hold_release
from aizuchi.core.errors import Conflict, Refused
from aizuchi.core.idempotency import idempotent
from aizuchi.core.readers import as_read_by
from aizuchi.core.tasks import enqueue_on_commit, send_email
from aizuchi.notifications.services import notification_send
from aizuchi.relationships.selectors import relationship_for

from ..models import LIVE_STATES, SEATED_STATES, Event, EventReminder, Registration
from ..selectors import event_get_for_customer, registration_get_for_customer
from ..selectors import registration_get_for_owner as _for_owner
from .seats import seat_claim, seat_release

REGISTRATION_CLOSED = _("Registration for this event has closed.")
EVENT_CANCELLED = _("This event was cancelled.")
ALREADY_REGISTERED = _("You are registered for this event already.")
NOT_OPEN = _("This registration is no longer open.")
TOO_LATE_TO_CANCEL = _("The event has begun; it can no longer be cancelled.")
OFFER_LAPSED = _("The seat held for you was passed on. We hope to see you next time.")
NOT_SEATED = _("Only a confirmed attendee can be checked in or marked as not come.")
CHECK_IN_NOT_YET = _("Check-in opens 30 minutes before the start.")
NO_SHOW_NOT_YET = _("You can mark a no-show once the event has begun.")

CHECK_IN_OPENS = dt.timedelta(minutes=30)


def _params(registration: Registration, **extra) -> dict:
    event = registration.event
    return {
        "event": event.title,
        "provider": event.provider.display_name,
        "customer": str(registration.customer.public_name),
        "start": event.starts_at.isoformat(),
        **extra,
    }


def _tell_customer(registration: Registration, kind: str, **extra) -> None:
    notification_send(
        user=registration.customer,
        kind=kind,
        params=_params(registration, **extra),
        url=reverse("events:detail", args=[registration.event_id]),
    )


def _tell_provider(registration: Registration, kind: str, **extra) -> None:
    notification_send(
        user=registration.event.provider.user,
        kind=kind,
        params=_params(registration, **extra),
        url=reverse("events:manage", args=[registration.event_id]),
    )


def _is_newcomer(event: Event, customer_id: int) -> bool:
    return relationship_for(provider_id=event.provider_id, customer_id=customer_id).is_newcomer


def _prepaid_hold(event: Event, customer):
    """The price held on the customer's points (prepaid and not free), or None."""
    if event.payment != Event.Payment.PREPAID or not event.price_yen:
        return None
    return hold_create(
        customer=customer,
        amount_yen=event.price_yen,
        provider=event.provider,
        reference=f"event:{event.pk}",
    )


class _PointsSpent(Exception):
    pass


def _may_attend(customer, event: Event, price_yen: int, payment: str, now) -> AccessDecision:
    """The one access policy's answer to taking a seat at ``price_yen``; Refused with
    every reason when it says no."""
    decision = access_check(
        customer=customer,
        provider=event.provider,
        action=Action.ATTEND,
        attend_facts=AttendFacts(price_yen=price_yen, prepaid=payment == Event.Payment.PREPAID),
        now=now,
    )
    if not decision.allowed:
        raise Refused(decision.reasons)
    return decision


def _points_spent(customer, price_yen: int) -> Refused:
    """The points were spent between the decision and the hold: say so with the balance."""
    balance = wallet_balance_yen(customer=customer)
    return Refused([insufficient_points_to_attend(price_yen=price_yen, balance=balance)])


def event_register(*, customer, event_id, key: str, now: dt.datetime | None = None) -> Registration:
    """Register ``customer`` for the event: a seat (its prepaid price held), or, when the
    seats are gone, a place on the waitlist with a kind "full this time". Refused with
    every reason the access policy gives (blocked customers never see the event: 404);
    a retry with the same key returns the registration."""
    now = now or timezone.now()
    event = event_get_for_customer(user=customer, event_id=event_id)
    if event.status != Event.Status.SCHEDULED:
        raise Conflict(EVENT_CANCELLED, code="cancelled")
    if now >= event.registration_closes_at or now >= event.starts_at:
        raise Conflict(REGISTRATION_CLOSED, code="closed")
    decision = _may_attend(customer, event, event.price_yen, event.payment, now)
    try:
        return idempotent(
            key=f"user:{customer.pk}:{key}",
            name="event_register",
            params={"event": event.pk},
            perform=lambda: _register(event, customer, decision.newcomer, now),
        )
    except _PointsSpent:
        raise _points_spent(customer, event.price_yen) from None
    except IntegrityError:
        # Registered already (another tab, another key).
        raise Conflict(ALREADY_REGISTERED, code="registered") from None


def _register(event: Event, customer, newcomer: bool, now) -> Registration:
    if Registration.objects.filter(event=event, customer=customer, state__in=LIVE_STATES).exists():
        raise Conflict(ALREADY_REGISTERED, code="registered")
    common = {
        "event": event,
        "customer": customer,
        "price_yen": event.price_yen,
        "payment": event.payment,
        "created_at": now,
    }
    regular = seat_claim(event_id=event.pk, newcomer=newcomer)
    if regular is None:
        registration = Registration.objects.create(state=Registration.State.WAITLISTED, **common)
        _tell_customer(registration, "event_full")
        return registration
    try:
        hold = _prepaid_hold(event, customer)
    except ledger.InsufficientFunds:
        raise _PointsSpent from None
    registration = Registration.objects.create(
        state=Registration.State.CONFIRMED,
        regular_seat=regular,
        hold=hold,
        confirmed_at=now,
        **common,
    )
    _tell_provider(registration, "event_registered")
    return registration


def _locked(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("event__provider__user", "customer", "hold")
        .get(pk=registration.pk)
    )


def seat_pass_on(*, event: Event, regular: bool, now: dt.datetime) -> Registration | None:
    """A seat is given back: offer it to the head of the waitlist who may take it (a seat
    not kept for newcomers goes to anyone; one kept for newcomers to a newcomer), held
    until ``offer_hold_hours`` from now (at most the start). Returns the offer made."""
    seat_release(event_id=event.pk, regular=regular)
    if now >= event.starts_at or event.status != Event.Status.SCHEDULED:
        return None
    until = min(now + dt.timedelta(hours=event.offer_hold_hours), event.starts_at)
    for waiting in Registration.objects.filter(
        event=event, state=Registration.State.WAITLISTED
    ).select_related("customer", "event__provider__user"):
        got = seat_claim(event_id=event.pk, newcomer=_is_newcomer(event, waiting.customer_id))
        if got is None:
            continue
        offered = Registration.objects.filter(
            pk=waiting.pk, state=Registration.State.WAITLISTED
        ).update(state=Registration.State.OFFERED, offered_until=until, regular_seat=got)
        if not offered:
            seat_release(event_id=event.pk, regular=got)
            continue
        waiting.refresh_from_db()
        _tell_customer(waiting, "event_seat_offered", until=until.isoformat())
        return waiting
    return None


def late_cancel_fee_yen(registration: Registration, *, now: dt.datetime) -> int:
    """What cancelling a confirmed seat now costs: nothing before the event's free
    cancellation deadline; after it, the event's percentage of the price."""
    event = registration.event
    if registration.state != Registration.State.CONFIRMED or now < event.free_cancel_until:
        return 0
    return registration.price_yen * event.late_cancel_percent // 100


def _money_back(registration: Registration, fee: int) -> None:
    """Close a seat's money: the fee charged (from the hold when prepaid), or the hold
    released."""
    if fee:
        charge = event_charge(
            registration_id=registration.pk,
            customer=registration.customer,
            provider=registration.event.provider,
            amount_yen=fee,
            payment=registration.payment,
            hold=registration.hold,
            line="fee",
        )
        Registration.objects.filter(pk=registration.pk).update(charge=charge)
    elif registration.hold is not None:
        hold_release(hold=registration.hold)


def registration_cancel(*, user, registration_id, now: dt.datetime | None = None) -> Registration:
    """The customer cancels their seat, offer or place on the waitlist before the start. A
    seat cancelled after the free deadline pays the event's late fee from its hold; the
    seat goes to the head of the waitlist."""
    now = now or timezone.now()
    found = registration_get_for_customer(user=user, registration_id=registration_id)
    with transaction.atomic():
        registration = _locked(found)
        event = registration.event
        if registration.state not in (
            Registration.State.CONFIRMED,
            Registration.State.WAITLISTED,
            Registration.State.OFFERED,
        ):
            raise Conflict(NOT_OPEN, code="not_open")
        if now >= event.starts_at:
            raise Conflict(TOO_LATE_TO_CANCEL, code="too_late")
        fee = late_cancel_fee_yen(registration, now=now)
        seated = registration.state in SEATED_STATES
        Registration.objects.filter(pk=registration.pk).update(
            state=Registration.State.CANCELLED, cancelled_at=now
        )
        _money_back(registration, fee)
        if seated:
            seat_pass_on(event=event, regular=registration.regular_seat, now=now)
            _tell_provider(registration, "event_registration_cancelled")
        registration.refresh_from_db()
    return registration


def offer_accept(*, user, registration_id, now: dt.datetime | None = None) -> Registration:
    """The customer takes the seat held for them: the prepaid price is held now."""
    now = now or timezone.now()
    found = registration_get_for_customer(user=user, registration_id=registration_id)
    event = found.event
    _may_attend(user, event, found.price_yen, found.payment, now)
    try:
        with transaction.atomic():
            registration = _locked(found)
            if registration.state != Registration.State.OFFERED or (
                registration.offered_until is not None and registration.offered_until <= now
            ):
                raise Conflict(OFFER_LAPSED, code="lapsed")
            hold = _prepaid_hold(event, user) if registration.price_yen else None
            Registration.objects.filter(pk=registration.pk).update(
                state=Registration.State.CONFIRMED, hold=hold, confirmed_at=now, offered_until=None
            )
            registration.refresh_from_db()
            _tell_provider(registration, "event_registered")
    except ledger.InsufficientFunds:
        raise _points_spent(user, found.price_yen) from None
    return registration


def offers_expire(*, now: dt.datetime | None = None) -> int:
    """Offers not taken in time pass their seat on to the next in line."""
    now = now or timezone.now()
    lapsed = 0
    for registration in Registration.objects.filter(
        state=Registration.State.OFFERED, offered_until__lte=now
    ).select_related("event__provider__user", "customer"):
        with transaction.atomic():
            changed = Registration.objects.filter(
                pk=registration.pk, state=Registration.State.OFFERED
            ).update(state=Registration.State.CANCELLED, cancelled_at=now)
            if not changed:
                continue
            seat_pass_on(event=registration.event, regular=registration.regular_seat, now=now)
            _tell_customer(registration, "event_offer_lapsed")
            lapsed += 1
    return lapsed


# --- the provider's side ---------------------------------------------------------------------


def registration_check_in(*, user, registration_id, now: dt.datetime | None = None):
    """The provider marks an attendee as come (from 30 minutes before the start)."""
    return _mark(user, registration_id, Registration.State.ATTENDED, now)


def registration_no_show(*, user, registration_id, now: dt.datetime | None = None):
    """The provider marks an attendee as not come (once the event has begun); the seat was
    kept for them and is charged as any other."""
    return _mark(user, registration_id, Registration.State.NO_SHOW, now)


def _mark(user, registration_id, state: str, now) -> Registration:
    now = now or timezone.now()
    found = _for_owner(user=user, registration_id=registration_id)
    marked = (
        Registration.State.CONFIRMED,
        Registration.State.ATTENDED,
        Registration.State.NO_SHOW,
    )
    with transaction.atomic():
        registration = _locked(found)
        event = registration.event
        if registration.state not in marked:
            raise Conflict(NOT_SEATED, code="not_seated")
        if state == Registration.State.ATTENDED and now < event.starts_at - CHECK_IN_OPENS:
            raise Conflict(CHECK_IN_NOT_YET, code="too_early")
        if state == Registration.State.NO_SHOW and now < event.starts_at:
            raise Conflict(NO_SHOW_NOT_YET, code="too_early")
        Registration.objects.filter(pk=registration.pk).update(
            state=state, checked_in_at=now if state == Registration.State.ATTENDED else None
        )
        registration.refresh_from_db()
    return registration


# --- the start and the end: charges ---------------------------------------------------------


def _charge_seat(registration: Registration) -> None:
    if not registration.price_yen:
        if registration.hold is not None:
            hold_release(hold=registration.hold)
        return
    charge = event_charge(
        registration_id=registration.pk,
        customer=registration.customer,
        provider=registration.event.provider,
        amount_yen=registration.price_yen,
        payment=registration.payment,
        hold=registration.hold,
    )
    Registration.objects.filter(pk=registration.pk).update(charge=charge)


def events_start(*, now: dt.datetime | None = None) -> int:
    """Events that have begun: seats still only offered are let go, and every prepaid seat
    is charged from its hold (once: the event is claimed by a conditional update, each
    charge is once per registration)."""
    now = now or timezone.now()
    started = 0
    for event in Event.objects.filter(
        status=Event.Status.SCHEDULED, started_at__isnull=True, starts_at__lte=now
    ):
        with transaction.atomic():
            if not Event.objects.filter(pk=event.pk, started_at__isnull=True).update(
                started_at=now
            ):
                continue
            for offered in Registration.objects.filter(
                event=event, state=Registration.State.OFFERED
            ).select_related("event__provider__user", "customer"):
                Registration.objects.filter(pk=offered.pk).update(
                    state=Registration.State.CANCELLED, cancelled_at=now
                )
                seat_release(event_id=event.pk, regular=offered.regular_seat)
            seated = Registration.objects.filter(
                event=event,
                state__in=SEATED_STATES,
                payment=Event.Payment.PREPAID,
                charge__isnull=True,
            ).select_related("event__provider__user", "customer", "hold")
            for registration in seated:
                _charge_seat(registration)
            started += 1
    return started


def events_invoice(*, now: dt.datetime | None = None) -> int:
    """Events that have ended: every postpaid seat is invoiced (once)."""
    now = now or timezone.now()
    done = 0
    candidates = Event.objects.filter(
        status=Event.Status.SCHEDULED, started_at__isnull=False, invoiced_at__isnull=True
    )
    for event in candidates:
        if event.ends_at > now:
            continue
        with transaction.atomic():
            if not Event.objects.filter(pk=event.pk, invoiced_at__isnull=True).update(
                invoiced_at=now
            ):
                continue
            for registration in Registration.objects.filter(
                event=event,
                state__in=SEATED_STATES,
                payment=Event.Payment.POSTPAID,
                charge__isnull=True,
            ).select_related("event__provider__user", "customer", "hold"):
                _charge_seat(registration)
            done += 1
    return done


# --- reminders -------------------------------------------------------------------------------

REMINDERS = (
    (EventReminder.Kind.DAY_BEFORE, dt.timedelta(hours=24)),
    (EventReminder.Kind.HOUR_BEFORE, dt.timedelta(hours=1)),
)


def _remind(registration: Registration, kind: str) -> bool:
    try:
        with transaction.atomic():
            EventReminder.objects.create(registration=registration, kind=kind)
            _tell_customer(registration, "event_reminder", when=kind)
            customer = registration.customer
            with as_read_by(customer):
                context = {
                    "event": registration.event,
                    "kind": kind,
                    "customer": customer,
                    "url": settings.AIZUCHI_SITE_URL
                    + reverse("events:detail", args=[registration.event_id]),
                }
                subject = render_to_string("events/email/reminder_subject.txt", context).strip()
                body = render_to_string("events/email/reminder.txt", context)
            enqueue_on_commit(send_email, subject=subject, body=body, to=[customer.email])
    except IntegrityError:
        return False
    return True


def event_reminders_send(*, now: dt.datetime | None = None) -> int:
    """A day and an hour before an event, remind each confirmed attendee (in-app and by
    e-mail), each reminder once (a seat taken within the hour gets only the hour's)."""
    now = now or timezone.now()
    sent = 0
    upcoming = (
        Registration.objects.filter(
            state=Registration.State.CONFIRMED,
            event__status=Event.Status.SCHEDULED,
            event__starts_at__gt=now,
            event__starts_at__lte=now + dt.timedelta(hours=24),
        )
        .select_related("event__provider__user", "customer")
        .prefetch_related("reminders")
    )
    for registration in upcoming:
        done = {reminder.kind for reminder in registration.reminders.all()}
        left = registration.event.starts_at - now
        due = [kind for kind, before in REMINDERS if left <= before]
        if due and due[-1] not in done and not (due[-1] == "day" and "hour" in done):
            sent += _remind(registration, due[-1])
    return sent


def events_housekeeping(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every five minutes: lapsed offers passed on, reminders, the start's charges, the
    end's invoices."""
    now = now or timezone.now()
    return {
        "offers_lapsed": offers_expire(now=now),
        "reminded": event_reminders_send(now=now),
        "started": events_start(now=now),
        "invoiced": events_invoice(now=now),
    }
