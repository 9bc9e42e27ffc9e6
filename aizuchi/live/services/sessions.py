"""A session from request to answer: ringing, accepting, declining, cancelling, and the
rings nobody answered.

``session_request`` asks the access policy once (presence state, invitations, blocks,
drop-in limits, money; the customer's booking on now and anyone else's, which it reads
from booking and passes in) and refuses with every reason; a newcomer turned away because
the provider is busy or waiting for an appointment is recorded as a missed newcomer.
Otherwise the session rings the provider with the customer's points already on hold, so
what was promised is there when the meter runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.access.policy import (
    AccessDecision,
    Action,
    BookingFacts,
    access_check,
    insufficient_points_to_talk,
)
from aizuchi.access.services import missed_newcomer_record
from aizuchi.billing import pricing
from aizuchi.billing.services.holds import (
    hold_increase,
    hold_place,
    hold_release,
    session_hold_yen,
)
from aizuchi.booking.selectors import booking_now_at, booking_now_for
from aizuchi.booking.services.bookings import booking_session_started
from aizuchi.core.errors import Conflict, NotFound, Refusal, Refused, lazy_format
from aizuchi.core.realtime import publish, user_group
from aizuchi.notifications.services import notification_send
from aizuchi.presence.services import presence_enter_session
from aizuchi.relationships.services import (
    relationship_drop_in_answered,
    relationship_session_requested,
)
from aizuchi.storefront.models import ConceptVersion
from aizuchi.storefront.selectors.offerings import offering_get

from .. import realtime
from ..models import Session
from ..selectors import SESSION_NOT_FOUND, session_get_for_participant

ALREADY_IN_A_SESSION = _("You already have a session ringing or in progress.")
NOT_RINGING = _("This call is no longer ringing.")
JUST_TAKEN = _("%(provider)s has just started another session.")


class SessionRefused(Refused):
    """The session cannot start; ``reasons`` says every why, ``decision`` (when the access
    policy refused) the next steps and whether the customer is new to the provider."""

    def __init__(self, reasons: list[Refusal], decision: AccessDecision | None = None) -> None:
        super().__init__(reasons)
        self.decision = decision


def _live(name: str):
    return settings.AIZUCHI_LIVE[name]


def _booked_top_up(booking, offering, decision: AccessDecision, most: int, now) -> int:
    """Points to add to a booking's hold so it covers from now to the booked end (at most
    ``most``, what the points allow)."""
    seconds = int((booking.end_at - now).total_seconds())
    policy = pricing.PricingPolicy.from_offering(offering)
    needed = pricing.price_session(policy, decision.history, max(0, seconds)).amount_yen
    return max(0, min(needed - booking.hold.amount_yen, most))


def session_group(session_id: int) -> str:
    return f"session.{session_id}"


def session_access(*, customer, offering, now: datetime | None = None):
    """The access decision for calling or chatting on ``offering`` now, with what booking
    knows of now; and the customer's booking on now for this offering (or None)."""
    now = now or timezone.now()
    provider = offering.provider
    mine = booking_now_for(customer=customer, provider=provider, now=now)
    reserved = None if mine is not None else booking_now_at(provider=provider, now=now)
    facts = BookingFacts(
        mine_now=mine is not None,
        mine_offering_id=mine.offering_id if mine is not None else None,
        reserved_start_at=reserved.start_at if reserved is not None else None,
        reserved_used=reserved is not None and reserved.session_id is not None,
    )
    decision = access_check(
        customer=customer,
        provider=provider,
        action=Action.for_channel(offering.channel),
        offering=offering,
        booking_facts=facts,
        now=now,
    )
    booking = mine if decision.booked else None
    return decision, booking


def session_request(*, customer, offering_id: int) -> Session:
    """Ring the provider for a session on ``offering_id``, or refuse with every reason.

    Asking again while one's own request still rings returns that session. A customer's
    requests are taken one at a time (their row is locked until the commit), so who may
    start, what is already ringing and the points to hold are decided on what is
    committed now: ten clicks at once ring once and hold the points once.
    """
    offering = offering_get(offering_id=offering_id)
    provider = offering.provider
    with transaction.atomic():
        _one_request_at_a_time(customer)
        session, reasons, decision = _ring(customer, offering, provider)
        if reasons:
            missed_newcomer_record(provider=provider, customer=customer, decision=decision)
    if reasons:
        raise SessionRefused(reasons, decision)
    return session


def _one_request_at_a_time(customer) -> None:
    """Lock the customer's row until the transaction ends (PostgreSQL; SQLite's IMMEDIATE
    transaction holds the write lock already). No key update: rows that refer to the
    customer can still be written meanwhile."""
    users = get_user_model().objects.select_for_update(no_key=True)
    users.filter(pk=customer.pk).values_list("pk", flat=True).get()


def _ring(customer, offering, provider):
    """The session rung, or why not: (session, [], decision) or (None, reasons, decision)
    (the decision a turned-away newcomer is recorded with)."""
    mine = Session.objects.filter(customer=customer, status__in=Session.LIVE_STATUSES).first()
    if mine is not None:
        if mine.offering_id == offering.pk:
            return mine, [], None
        raise SessionRefused(
            [Refusal("already_in_session", ALREADY_IN_A_SESSION, _session_url(mine))]
        )
    now = timezone.now()
    decision, booking = session_access(customer=customer, offering=offering, now=now)
    if decision.reasons:
        return None, decision.reasons, decision
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
                # The terms, and the pricing history they apply to (no other session of
                # the pair is charged until this one ends: one live session a customer).
                policy={
                    **pricing.PricingPolicy.from_offering(offering).as_dict(),
                    "earlier_sessions": decision.history.earlier_sessions,
                },
                by_appointment=decision.by_appointment,
                requested_at=now,
                ring_until=now + timedelta(seconds=_live("RING_SECONDS")),
            )
    except IntegrityError:
        # Someone else's request reached the provider first (one live session each).
        busy = [Refusal("busy", lazy_format(JUST_TAKEN, provider=provider.display_name))]
        return None, busy, AccessDecision(**{**decision.__dict__, "reasons": busy})
    # The booking's row, then the points (the ledger's lock order, as a cancellation of
    # the booking takes them).
    if booking is not None:
        booking_session_started(booking=booking, session_id=session.pk)
    money = session_hold_yen(customer=customer, offering=offering, history=decision.history)
    if booking is not None and booking.hold is not None:
        # The booking's hold pays. Coming in early makes the session longer than the
        # booked slot (it ends with the booked time): only that much more is held, from
        # the points, so the meter can run to the end.
        session.hold = booking.hold
        extra = _booked_top_up(booking, offering, decision, money.hold_yen, now)
        if extra:
            hold_increase(hold=booking.hold, amount_yen=extra)
        session.save(update_fields=["hold"])
    else:
        if booking is None and money.balance_yen < money.first_minute_yen:
            # The points were spent since the decision: refuse (the session goes with the
            # transaction), and ring nobody.
            refusal = insufficient_points_to_talk(
                needed=money.first_minute_yen, balance=money.balance_yen
            )
            raise SessionRefused(
                [refusal], AccessDecision(**{**decision.__dict__, "reasons": [refusal]})
            )
        if money.hold_yen:
            session.hold = hold_place(
                customer=customer,
                amount_yen=money.hold_yen,
                provider=provider,
                reference=session.topic,
                key=f"{session.topic}:hold",
            )
            session.save(update_fields=["hold"])
    relationship_session_requested(
        provider_id=provider.pk, customer_id=customer.pk, requested_at=now
    )
    ringing = realtime.session_ringing(session, newcomer=decision.newcomer)
    publish(user_group(provider.user_id), ringing)
    return session, [], decision


def _session_url(session: Session) -> str:
    return reverse("live:session", args=[session.pk])


def _close_unanswered(session: Session, status: str, reason: str, *, now: datetime) -> bool:
    """Move a ringing session to ``status``; release its hold; tell both sides."""
    with transaction.atomic():
        changed = Session.objects.filter(pk=session.pk, status=Session.Status.REQUESTED).update(
            status=status, ended_at=now, end_reason=reason
        )
        if not changed:
            return False
        session.refresh_from_db()
        if session.hold is not None:
            hold_release(hold=session.hold)
        message = realtime.session_ended(session)
        publish(session_group(session.pk), message)
        publish(user_group(session.customer_id), message)
        publish(user_group(session.provider.user_id), message)
    return True


def session_accept(*, user, session_id) -> Session:
    """The provider answers: the session is on; the meter starts once both are connected."""
    session = session_get_for_participant(user=user, session_id=session_id)
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
        if not session.by_appointment:
            relationship_drop_in_answered(
                provider_id=session.provider_id,
                customer_id=session.customer_id,
                session_id=session.pk,
                requested_at=session.requested_at,
            )
        message = realtime.session_accepted(session)
        publish(session_group(session.pk), message)
        publish(user_group(session.customer_id), message)
        publish(user_group(session.provider.user_id), message)
    return session


def session_decline(*, user, session_id) -> Session:
    session = session_get_for_participant(user=user, session_id=session_id)
    if session.role_of(user) != "provider":
        raise NotFound(SESSION_NOT_FOUND)
    if not _close_unanswered(
        session, Session.Status.DECLINED, Session.EndReason.DECLINED, now=timezone.now()
    ):
        raise Conflict(NOT_RINGING)
    return session


def session_cancel(*, user, session_id) -> Session:
    """The customer stops ringing before an answer."""
    session = session_get_for_participant(user=user, session_id=session_id)
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
