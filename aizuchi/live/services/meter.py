"""The server-authoritative meter: when billable time starts, when it must end, and the
sweep every server process runs each second.

Billable time starts when both sides are connected (``session_try_start``) and ends when
either hangs up, when the points held or the session's cap run out (``limit_at``), or when
one side has been gone longer than ``GRACE_SECONDS``; then billing stops at the moment
that side was last heard, not at the end of the grace. Proof of life is the
``core.Connection`` rows of the session's topic, so a server process that crashed leaves
its last heartbeat behind and the next sweep (of any process, or of the one that starts
after the crash) closes the session there and bills it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from aizuchi.billing import pricing
from aizuchi.billing.services.charges import session_charge
from aizuchi.billing.services.holds import hold_release
from aizuchi.booking.selectors import booking_end_for_session
from aizuchi.booking.services.bookings import booking_session_ended
from aizuchi.core.connections import (
    alive_filter,
    alive_roles,
    alive_roles_by_topic,
    connection_close,
    connection_open,
    connections_open,
)
from aizuchi.core.models import Connection
from aizuchi.core.realtime import publish, user_group
from aizuchi.presence.services import presence_leave_session, presence_topic
from aizuchi.relationships.services import (
    relationship_drop_in_dropped,
    relationship_session_completed,
)

from .. import realtime
from ..models import Session
from ..selectors import session_pricing_history
from .sessions import session_group, sessions_expire_ringing

ROLES = ("customer", "provider")


def _live(name: str):
    return settings.AIZUCHI_LIVE[name]


def limit_seconds(session: Session) -> int | None:
    """How long this session may bill: what its hold affords, within the cap."""
    policy = pricing.PricingPolicy.from_dict(session.policy)
    history = session_pricing_history(session)
    if session.hold is not None:
        return pricing.affordable_seconds(policy, history, session.hold.amount_yen)
    if policy.payment == pricing.PREPAID:
        # Prepaid with nothing held: only the free allowance (the start check allowed it).
        return pricing.affordable_seconds(policy, history, 0)
    return pricing.cap_seconds(policy, history)


def session_try_start(session: Session, *, now: datetime | None = None) -> bool:
    """Start the meter if the session is answered and both sides are connected now."""
    now = now or timezone.now()
    if session.status != Session.Status.ACTIVE or session.started_at is not None:
        return False
    if not set(ROLES) <= alive_roles(topic=session.topic, now=now):
        return False
    seconds = limit_seconds(session)
    limit_at = None if seconds is None else now + timedelta(seconds=seconds)
    booked_end = booking_end_for_session(session_id=session.pk)
    if booked_end is not None:  # a booked session ends with its booked time
        limit_at = booked_end if limit_at is None else min(limit_at, booked_end)
    with transaction.atomic():
        changed = Session.objects.filter(
            pk=session.pk, status=Session.Status.ACTIVE, started_at__isnull=True
        ).update(started_at=now, limit_at=limit_at)
        if not changed:
            return False
        session.started_at, session.limit_at = now, limit_at
        publish(session_group(session.pk), realtime.session_started(session, now=now))
    return True


def _bill_end(session: Session, end: datetime) -> int:
    """Whole seconds from the start to ``end``, within the limit (never more than observed)."""
    if session.limit_at is not None:
        end = min(end, session.limit_at)
    started = session.started_at
    if started is None:  # not metered: nothing to bill
        return 0
    return max(0, int((end - started).total_seconds()))


def session_end(
    *, session: Session, reason: str, at: datetime | None = None, now: datetime | None = None
) -> Session | None:
    """End an answered session: bill ``started_at`` → ``at`` once, free the provider, tell
    both sides. None when it had already ended (another process, a retry)."""
    now = now or timezone.now()
    with transaction.atomic():
        fresh = (
            Session.objects.select_for_update(of=("self",))
            .select_related("provider__user", "customer", "hold", "offering")
            .get(pk=session.pk)
        )
        if fresh.status != Session.Status.ACTIVE:
            return None
        if fresh.started_at is None:
            fresh.status = Session.Status.CANCELLED
            fresh.end_reason = Session.EndReason.NEVER_CONNECTED
            fresh.ended_at = now
            fresh.save(update_fields=["status", "end_reason", "ended_at"])
            if fresh.hold is not None:
                hold_release(hold=fresh.hold)
            if not fresh.by_appointment:  # answered, never connected: not a drop-in after all
                relationship_drop_in_dropped(
                    provider_id=fresh.provider_id,
                    customer_id=fresh.customer_id,
                    session_id=fresh.pk,
                )
        else:
            seconds = _bill_end(fresh, at or now)
            fresh.status = Session.Status.COMPLETED
            fresh.end_reason = reason
            fresh.ended_at = now
            fresh.billable_seconds = seconds
            fresh.billed_until = fresh.started_at + timedelta(seconds=seconds)
            fresh.save(
                update_fields=[
                    "status",
                    "end_reason",
                    "ended_at",
                    "billable_seconds",
                    "billed_until",
                ]
            )
            relationship_session_completed(
                provider_id=fresh.provider_id, customer_id=fresh.customer_id
            )
            charge = session_charge(
                session=fresh,
                billable_seconds=seconds,
                hold=fresh.hold,
                policy=pricing.PricingPolicy.from_dict(fresh.policy),
                history=session_pricing_history(fresh),
            )
            fresh.charged_yen = charge.amount_yen
            Session.objects.filter(pk=fresh.pk).update(charged_yen=charge.amount_yen)
        booking_session_ended(session_id=fresh.pk)
        presence_leave_session(provider=fresh.provider)
        message = realtime.session_ended(fresh)
        publish(session_group(fresh.pk), message)
        publish(user_group(fresh.customer_id), message)
        publish(user_group(fresh.provider.user_id), message)
    return fresh


def session_hang_up(*, session: Session, user) -> Session | None:
    reason = (
        Session.EndReason.CUSTOMER_HUNG_UP
        if session.role_of(user) == "customer"
        else Session.EndReason.PROVIDER_HUNG_UP
    )
    return session_end(session=session, reason=reason)


def _connections_by_session(topics: list[str], now: datetime) -> dict[str, dict[str, dict]]:
    """For each topic and role: whether a live connection exists, and for a side that is
    not alive its last proof of life."""
    rows = (
        Connection.objects.filter(topic__in=topics)
        .values("topic", "role")
        .annotate(alive=Count("id", filter=alive_filter(now)))
    )
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row["topic"], {})[row["role"]] = dict(row)
    # The last proof of life matters only for a side that is not alive: read for those
    # sessions alone (read for every connection each second, its dates were a tenth of
    # a server's time at 2,000 sessions, bench/live_chat.py).
    quiet = [
        topic
        for topic in topics
        if not all(found.get(topic, {}).get(role, {}).get("alive") for role in ROLES)
    ]
    if quiet:
        for last in (
            Connection.objects.filter(topic__in=quiet)
            .values("topic", "role")
            .annotate(last=Max("seen_at"))
        ):
            side = found.setdefault(last["topic"], {}).setdefault(last["role"], {"alive": 0})
            side["last"] = last["last"]
    return found


def sessions_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Everything the meter does on its own; safe in any number of processes at once."""
    now = now or timezone.now()
    done = {"expired": sessions_expire_ringing(now=now), "started": 0, "warned": 0, "ended": 0}
    grace = timedelta(seconds=_live("GRACE_SECONDS"))
    warn_before = timedelta(seconds=_live("WARN_BEFORE_SECONDS"))
    connect_by = now - timedelta(seconds=_live("CONNECT_SECONDS"))
    # Each second every process reads the open sessions, so the reading is lean (five
    # columns, no models; the full read cost a fifth of a server's CPU at 2,000 sessions,
    # bench/live_chat.py), and only the sessions that something happens to are loaded.
    active: list[Any] = list(
        Session.objects.filter(status=Session.Status.ACTIVE).values_list(
            "pk", "started_at", "accepted_at", "limit_at", "warned_at", named=True
        )
    )
    if not active:
        return done
    connections = _connections_by_session([Session.topic_of(row.pk) for row in active], now)
    due: list[tuple[int, str, tuple | None]] = []
    for row in active:
        sides = connections.get(Session.topic_of(row.pk), {})
        alive = {role for role, found in sides.items() if found["alive"]}
        if row.started_at is None:
            if set(ROLES) <= alive:
                due.append((row.pk, "start", None))
            elif row.accepted_at and row.accepted_at <= connect_by:
                due.append((row.pk, "never_connected", None))
        elif row.limit_at is not None and row.limit_at <= now:
            due.append((row.pk, "limit", None))
        elif (gone := _gone_side(row.started_at, sides, alive, now, grace)) is not None:
            due.append((row.pk, "gone", gone))
        elif (
            row.limit_at is not None and row.warned_at is None and row.limit_at - warn_before <= now
        ):
            due.append((row.pk, "warn", None))
    if not due:
        return done
    sessions = Session.objects.select_related("provider__user", "customer", "hold").in_bulk(
        [pk for pk, _action, _gone in due]
    )
    for pk, action, gone in due:
        session = sessions.get(pk)
        if session is None or session.status != Session.Status.ACTIVE:
            continue  # ended meanwhile (another process, a hang-up)
        if action == "start":
            done["started"] += session_try_start(session, now=now)
        elif action == "never_connected":
            done["ended"] += bool(
                session_end(session=session, reason=Session.EndReason.NEVER_CONNECTED, now=now)
            )
        elif action == "limit":
            reason = _limit_reason(session)
            done["ended"] += bool(
                session_end(session=session, reason=reason, at=session.limit_at, now=now)
            )
        elif action == "gone" and gone is not None:
            role, last = gone
            reason = (
                Session.EndReason.CUSTOMER_LEFT
                if role == "customer"
                else Session.EndReason.PROVIDER_LEFT
            )
            done["ended"] += bool(session_end(session=session, reason=reason, at=last, now=now))
        else:
            done["warned"] += _warn(session, now)
    return done


def _limit_reason(session: Session) -> str:
    booked_end = booking_end_for_session(session_id=session.pk)
    if booked_end is not None and booked_end == session.limit_at:
        return Session.EndReason.BOOKED_TIME_ENDED
    if session.hold_id:
        return Session.EndReason.POINTS_RAN_OUT
    return Session.EndReason.LIMIT_REACHED


def _gone_side(started_at, sides, alive, now, grace) -> tuple[str, datetime] | None:
    """The side that has been gone longer than the grace, with its last proof of life."""
    gone = []
    for role in ROLES:
        if role in alive:
            continue
        last = sides.get(role, {}).get("last") or started_at
        last = max(last, started_at)
        if now - last > grace:
            gone.append((last, role))
    if not gone:
        return None
    last, role = min(gone)
    return role, last


def _warn(session: Session, now: datetime) -> int:
    changed = Session.objects.filter(pk=session.pk, warned_at__isnull=True).update(warned_at=now)
    if changed:
        session.warned_at = now
        publish(session_group(session.pk), realtime.session_warning(session, now=now))
    return changed


def standby_join(*, provider) -> Connection:
    """The provider's standby page opened: proof of life that they are at their desk."""
    return connection_open(topic=presence_topic(provider.pk), user=provider.user, role="provider")


def session_join(*, session: Session, user, role: str) -> Connection:
    """A participant's socket opened: proof of life starts, and the meter if both are in."""
    connection = connection_open(topic=session.topic, user=user, role=role)
    publish(session_group(session.pk), realtime.peer(role, present=True))
    session_try_start(session)
    return connection


def sessions_join(joins: list[tuple[Session, object, str]]) -> list[Connection]:
    """``session_join`` for many sockets, (session, user, role) each: their connections
    in one statement, and the meters of the sessions that now have both sides."""
    opened = connections_open([(session.topic, user, role) for session, user, role in joins])
    for session, _user, role in joins:
        publish(session_group(session.pk), realtime.peer(role, present=True))
    waiting = {
        session.pk: session
        for session, _user, _role in joins
        if session.status == Session.Status.ACTIVE and session.started_at is None
    }
    if waiting:
        alive = alive_roles_by_topic([session.topic for session in waiting.values()])
        for session in waiting.values():
            if set(ROLES) <= alive[session.topic] and session_try_start(session):
                for other, _user, _role in joins:  # the same session in another socket
                    if other.pk == session.pk and other is not session:
                        other.started_at, other.limit_at = session.started_at, session.limit_at
    return opened


def session_leave(*, session: Session, role: str, connection_id: int, heard_at) -> None:
    """A participant's socket closed; the other side hears it if no other socket remains."""
    connection_close(connection_id=connection_id, heard_at=heard_at)
    if role not in alive_roles(topic=session.topic):
        publish(session_group(session.pk), realtime.peer(role, present=False))
