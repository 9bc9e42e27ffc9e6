"""The shapes of the live-session messages (docs/realtime.md). Times are ISO 8601 UTC."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from aizuchi.billing import pricing

from .models import Message, Session


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def session_ringing(session: Session, *, newcomer: bool) -> dict:
    return {
        "type": "session.ringing",
        "session": {
            "id": session.pk,
            "customer": str(session.customer.public_name),
            "channel": session.channel,
            "newcomer": newcomer,
            "by_appointment": session.by_appointment,
            "ring_until": _iso(session.ring_until),
        },
    }


def session_accepted(session: Session) -> dict:
    return {
        "type": "session.accepted",
        "session_id": session.pk,
        "url": reverse("live:session", args=[session.pk]),
    }


def free_seconds(session: Session) -> int:
    """The free allowance this session starts with (first-session terms, within the cap)."""
    from .selectors import session_pricing_history

    policy = pricing.PricingPolicy.from_dict(session.policy)
    return pricing.free_allowance_seconds(policy, session_pricing_history(session))


def free_until(session: Session, free: int) -> datetime | None:
    """When charging starts: the meter's start plus the free allowance (None: no free time,
    or the meter has not started). A session limited before then never pays."""
    if session.started_at is None or free <= 0:
        return None
    return session.started_at + timedelta(seconds=free)


def session_started(session: Session, *, now: datetime) -> dict:
    free = free_seconds(session)
    return {
        "type": "session.started",
        "session_id": session.pk,
        "started_at": _iso(session.started_at),
        "limit_at": _iso(session.limit_at),
        "free_seconds": free,
        "free_until": _iso(free_until(session, free)),
        "server_time": _iso(now),
    }


def session_warning(session: Session, *, now: datetime) -> dict:
    return {
        "type": "session.warning",
        "session_id": session.pk,
        "limit_at": _iso(session.limit_at),
        "seconds_left": max(0, int((session.limit_at - now).total_seconds())),
        "reason": "points" if session.hold_id else "limit",
        "server_time": _iso(now),
    }


def session_ended(session: Session) -> dict:
    return {
        "type": "session.ended",
        "session_id": session.pk,
        "status": session.status,
        "end_reason": session.end_reason,
        "billable_seconds": session.billable_seconds,
        "charged_yen": session.charged_yen,
        "summary_url": reverse("live:summary", args=[session.pk]),
    }


def tariff(session: Session) -> dict:
    """What a client needs to show the running cost the way billing will work it out."""
    from .selectors import session_pricing_history

    policy = pricing.PricingPolicy.from_dict(session.policy)
    history = session_pricing_history(session)
    return {
        "price_per_minute_yen": policy.price_per_minute_yen,
        "rounding": policy.rounding,
        "free_seconds": pricing.free_allowance_seconds(policy, history),
        "cap_seconds": pricing.cap_seconds(policy, history),
        "payment": policy.payment,
        "first_session": history.is_first_session,
    }


def message_shape(message: Message, session: Session) -> dict:
    return {
        "id": message.pk,
        "client_id": message.client_id,
        "from": "customer" if message.sender_id == session.customer_id else "provider",
        "text": message.text,
        "created_at": _iso(message.created_at),
    }


def chat_message(message: Message, session: Session) -> dict:
    return {"type": "chat.message", "message": message_shape(message, session)}


def chat_read(session: Session, *, role: str, up_to: int) -> dict:
    return {"type": "chat.read", "role": role, "up_to": up_to}


def peer(role: str, *, present: bool) -> dict:
    return {"type": "peer.joined" if present else "peer.left", "role": role}


def session_state(
    session: Session,
    *,
    role: str,
    present: set[str],
    messages: list[Message],
    last_message_at: datetime | None,
) -> dict:
    """Everything a client needs to draw the session after (re)connecting."""
    peer = session.provider.display_name if role == "customer" else session.customer.public_name
    terms = tariff(session)
    return {
        "type": "session.state",
        "server_time": _iso(timezone.now()),
        "session": {
            "id": session.pk,
            "status": session.status,
            "channel": session.channel,
            "role": role,
            "peer": str(peer),
            "accepted_at": _iso(session.accepted_at),
            "started_at": _iso(session.started_at),
            "limit_at": _iso(session.limit_at),
            "free_until": _iso(free_until(session, terms["free_seconds"])),
            "warned": session.warned_at is not None,
            "ended_at": _iso(session.ended_at),
            "end_reason": session.end_reason,
            "last_message_at": _iso(last_message_at),
            "present": sorted(present),
            "read": {"customer": session.customer_read_id, "provider": session.provider_read_id},
            "tariff": terms,
            "summary_url": reverse("live:summary", args=[session.pk]),
        },
        "messages": [message_shape(message, session) for message in messages],
    }
