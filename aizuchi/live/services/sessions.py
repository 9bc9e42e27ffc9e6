"""A session from request to answer: ringing, accepting, declining, cancelling, and the
rings nobody answered.

``session_request`` asks presence (state, invitations, blocks, drop-in limits) and billing
(overdue invoices, points for a minute) at once and refuses with every reason; a newcomer
turned away because the provider is busy or waiting for an appointment is recorded as a
missed newcomer. Otherwise the session rings the provider with the customer's points
already on hold, so what was promised is there when the meter runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.billing.pricing import PricingPolicy
from aizuchi.billing.selectors import price_yen
from aizuchi.billing.services.access import session_hold_yen, session_start_check
from aizuchi.billing.services.holds import hold_increase, hold_place, hold_release
from aizuchi.booking.selectors import booking_now_for
from aizuchi.booking.services.bookings import booking_session_started
from aizuchi.core.errors import Conflict, NotFound, lazy_format
from aizuchi.core.money import object_id, whole_number
from aizuchi.core.realtime import publish, user_group
from aizuchi.core.refusals import Refusal, Refused
from aizuchi.notifications.services import notification_send
from aizuchi.presence.services import (
    access_check,
    missed_newcomer_record,
    presence_enter_session,
)
from aizuchi.storefront.models import ConceptVersion, Offering

from .. import realtime
from ..models import Session

OFFERING_NOT_FOUND = _("That offer does not exist.")
SESSION_NOT_FOUND = _("That session does not exist.")
ALREADY_IN_A_SESSION = _("You already have a session ringing or in progress.")
NOT_RINGING = _("This call is no longer ringing.")
JUST_TAKEN = _("%(provider)s has just started another session.")


class SessionRefused(Refused):
    """The session cannot start; ``reasons`` says every why and where to go next."""


def _live(name: str):
    return settings.AIZUCHI_LIVE[name]


def _booked_top_up(booking, customer, offering, most: int, now) -> int:
    """Points to add to a booking's hold so it covers from now to the booked end (at most
    ``most``, what the points allow)."""
    seconds = int((booking.end_at - now).total_seconds())
    needed = (
        price_yen(customer=customer, offering=offering, seconds=seconds) - booking.hold.amount_yen
    )
    return max(0, min(needed, most))


def session_group(session_id: int) -> str:
    return f"session.{session_id}"


def offering_get(offering_id) -> Offering:
    offering = (
        Offering.objects.select_related("provider__user")
        .filter(pk=whole_number(offering_id) or -1)
        .first()
    )
    if offering is None:
        raise NotFound(OFFERING_NOT_FOUND)
    return offering


def session_request(*, customer, offering_id: int) -> Session:
    """Ring the provider for a session on ``offering_id``, or refuse with every reason.

    Asking again while one's own request still rings returns that session. A customer's
    requests are taken one at a time (their row is locked until the commit), so who may
    start, what is already ringing and the points to hold are decided on what is
    committed now: ten clicks at once ring once and hold the points once.
    """
    offering = offering_get(offering_id)
    provider = offering.provider
    with transaction.atomic():
        _one_request_at_a_time(customer)
        session, reasons, check = _ring(customer, offering, provider)
        if reasons:
            missed_newcomer_record(provider=provider, customer=customer, check=check)
    if reasons:
        raise SessionRefused(reasons)
    return session


def _one_request_at_a_time(customer) -> None:
    """Lock the customer's row until the transaction ends (PostgreSQL; SQLite's IMMEDIATE
    transaction holds the write lock already). No key update: rows that refer to the
    customer can still be written meanwhile."""
    users = get_user_model().objects.select_for_update(no_key=True)
    users.filter(pk=customer.pk).values_list("pk", flat=True).get()


def _ring(customer, offering, provider):
    """The session rung, or why not: (session, [], None) or (None, reasons, the access
    check a turned-away newcomer is recorded with)."""
    mine = Session.objects.filter(customer=customer, status__in=Session.LIVE_STATUSES).first()
    if mine is not None:
        if mine.offering_id == offering.pk:
            return mine, [], None
        raise SessionRefused(
            [Refusal("already_in_session", ALREADY_IN_A_SESSION, _session_url(mine))]
        )
    access = access_check(customer=customer, provider=provider)
    money = session_start_check(customer=customer, provider=provider, offering=offering)
    booking = None
    if access.by_appointment:
        booking = booking_now_for(customer=customer, provider=provider)
        if booking is not None and booking.offering_id != offering.pk:
            booking = None
    # A blocked customer hears only that (buying points would not help them); a booked
    # session is paid from what the booking holds.
    blocked = any(reason.code == "blocked" for reason in access.reasons)
    money_reasons = [
        reason
        for reason in money.reasons
        if not (booking is not None and reason.code == "insufficient_points")
    ]
    reasons = access.reasons + ([] if blocked else money_reasons)
    if reasons:
        return None, reasons, access
    now = timezone.now()
    try:
        with transaction.atomic():
            session = Session.objects.create(
                provider=provider,
                customer=customer,
                offering=offering,
                channel=offering.channel,
                concept_version=ConceptVersion.objects.filter(provider=provider)
                .order_by("-number")
                .first(),
                policy=PricingPolicy.from_offering(offering).as_dict(),
                by_appointment=access.by_appointment,
                requested_at=now,
                ring_until=now + timedelta(seconds=_live("RING_SECONDS")),
            )
    except IntegrityError:
        # Someone else's request reached the provider first (one live session each).
        busy = [Refusal("busy", lazy_format(JUST_TAKEN, provider=provider.display_name))]
        return None, busy, replace(access, reasons=busy)
    # The booking's row, then the points (the ledger's lock order, as a cancellation
    # of the booking takes them).
    if booking is not None:
        booking_session_started(booking=booking, session=session)
    try:
        if booking is not None and booking.hold is not None:
            # The booking's hold pays. Coming in early makes the session longer than the
            # booked slot (it ends with the booked time): only that much more is held,
            # from the points, so the meter can run to the end.
            session.hold = booking.hold
            most = session_hold_yen(
                customer=customer, offering=offering, history=money.history, first_minute=False
            )
            extra = _booked_top_up(booking, customer, offering, most, now)
            if extra:
                hold_increase(hold=booking.hold, amount_yen=extra)
            session.save(update_fields=["hold"])
        else:
            hold_yen = session_hold_yen(
                customer=customer,
                offering=offering,
                history=money.history,
                first_minute=booking is None,
            )
            if hold_yen:
                session.hold = hold_place(
                    customer=customer,
                    amount_yen=hold_yen,
                    provider=provider,
                    reference=session.topic,
                    key=f"{session.topic}:hold",
                )
                session.save(update_fields=["hold"])
    except Refused as refused:  # the points were spent meanwhile
        raise SessionRefused(refused.reasons) from None
    ringing = realtime.session_ringing(session, newcomer=access.newcomer)
    publish(user_group(provider.user_id), ringing)
    return session, [], None


def _session_url(session: Session) -> str:
    return reverse("live:session", args=[session.pk])


def session_for_participant(*, user, session_id) -> Session:
    """The session, if ``user`` is its customer or its provider; otherwise NotFound."""
    session = (
        Session.objects.select_related("provider__user", "customer", "hold", "offering")
        .filter(pk=object_id(session_id) or -1)
        .first()
    )
    if session is None or user.pk not in (session.customer_id, session.provider.user_id):
        raise NotFound(SESSION_NOT_FOUND)
    return session


def _close_unanswered(session: Session, status: str, reason: str, *, now: datetime) -> bool:
    """Move a ringing session to ``status``; release its hold; tell both sides."""
    with transaction.atomic():
        changed = Session.objects.filter(pk=session.pk, status=Session.Status.REQUESTED).update(
            status=status, ended_at=now, end_reason=reason
        )
        if not changed:
            return False
        session.refresh_from_db()
        if session.hold_id:
            hold_release(hold=session.hold)
        message = realtime.session_ended(session)
        publish(session_group(session.pk), message)
        publish(user_group(session.customer_id), message)
        publish(user_group(session.provider.user_id), message)
    return True


def session_accept(*, user, session_id) -> Session:
    """The provider answers: the session is on; the meter starts once both are connected."""
    session = session_for_participant(user=user, session_id=session_id)
    if session.role_of(user) != "provider":
        raise NotFound(SESSION_NOT_FOUND)
    now = timezone.now()
    with transaction.atomic():
        changed = Session.objects.filter(
            pk=session.pk, status=Session.Status.REQUESTED, ring_until__gt=now
        ).update(status=Session.Status.ACTIVE, accepted_at=now)
        if not changed:
            raise Conflict(NOT_RINGING)
        session.refresh_from_db()
        presence_enter_session(provider=session.provider)
        message = realtime.session_accepted(session)
        publish(session_group(session.pk), message)
        publish(user_group(session.customer_id), message)
        publish(user_group(session.provider.user_id), message)
    return session


def session_decline(*, user, session_id) -> Session:
    session = session_for_participant(user=user, session_id=session_id)
    if session.role_of(user) != "provider":
        raise NotFound(SESSION_NOT_FOUND)
    if not _close_unanswered(
        session, Session.Status.DECLINED, Session.EndReason.DECLINED, now=timezone.now()
    ):
        raise Conflict(NOT_RINGING)
    return session


def session_cancel(*, user, session_id) -> Session:
    """The customer stops ringing before an answer."""
    session = session_for_participant(user=user, session_id=session_id)
    if session.role_of(user) != "customer":
        raise NotFound(SESSION_NOT_FOUND)
    if not _close_unanswered(
        session, Session.Status.CANCELLED, Session.EndReason.CANCELLED, now=timezone.now()
    ):
        raise Conflict(NOT_RINGING)
    return session


def sessions_expire_ringing(*, now: datetime) -> int:
    """Rings nobody answered in time: not answered; the provider hears they missed one."""
    expired = 0
    ringing = Session.objects.filter(
        status=Session.Status.REQUESTED, ring_until__lte=now
    ).select_related("provider__user", "customer", "hold")
    for session in ringing:
        if _close_unanswered(
            session, Session.Status.MISSED, Session.EndReason.NOT_ANSWERED, now=now
        ):
            expired += 1
            notification_send(
                user=session.provider.user,
                kind="session_missed",
                params={"customer": str(session.customer.public_name)},
                url=reverse("live:console"),
            )
    return expired
