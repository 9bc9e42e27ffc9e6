"""Reads for live sessions and the standby page, and the one gate to a session."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from aizuchi.access.services import CUSTOMER_NOT_FOUND
from aizuchi.billing import pricing
from aizuchi.billing.selectors import customer_history
from aizuchi.core.connections import alive_roles, alive_roles_by_topic
from aizuchi.core.errors import NotFound
from aizuchi.core.money import object_id, whole_number
from aizuchi.relationships.models import RECENT_WINDOW, Relationship
from aizuchi.relationships.selectors import Facts, PairFacts
from aizuchi.storefront.models import Provider

from .. import realtime
from ..models import Message, Session

SESSION_NOT_FOUND = _("That session does not exist.")
CATCH_UP_LIMIT = 500


def session_get_for_participant(*, user, session_id) -> Session:
    """The session, if ``user`` is its customer or its provider; otherwise NotFound. The
    one gate for pages and sockets."""
    session = (
        Session.objects.select_related("provider__user", "customer", "hold", "offering")
        .filter(pk=whole_number(session_id) or -1)
        .first()
    )
    if session is None or user.pk not in (session.customer_id, session.provider.user_id):
        raise NotFound(SESSION_NOT_FOUND)
    return session


def sessions_get_for_participants(requests: list[tuple[Any, object]]) -> list:
    """``session_get_for_participant`` for many (user, session id) pairs in one query:
    each its own Session instance, or a NotFound instance."""
    ids = {object_id(session_id) or -1 for _user, session_id in requests}
    found = {
        session.pk: session
        for session in Session.objects.select_related(
            "provider__user", "customer", "hold", "offering"
        ).filter(pk__in=ids)
    }
    given: set[int] = set()
    results: list = []
    for user, session_id in requests:
        session = found.get(object_id(session_id) or -1)
        if session is None or user.pk not in (session.customer_id, session.provider.user_id):
            results.append(NotFound(SESSION_NOT_FOUND))
            continue
        if session.pk in given:  # both sides (or two tabs) in one call: one instance each
            session = copy.deepcopy(session)
        given.add(session.pk)
        results.append(session)
    return results


def last_message_at(session: Session):
    """When the last message of the session was sent (None before the first)."""
    return session.messages.order_by("-pk").values_list("created_at", flat=True).first()


def messages_after(*, session: Session, after_id=0, limit: int = CATCH_UP_LIMIT) -> list[Message]:
    """The transcript after the message a client already has, oldest first."""
    after = whole_number(after_id) or 0
    return list(
        Message.objects.filter(session=session, id__gt=max(0, after)).order_by("id")[:limit]
    )


def session_state(*, session: Session, role: str, after="0") -> dict:
    session.refresh_from_db()
    return realtime.session_state(
        session,
        role=role,
        present=alive_roles(topic=session.topic),
        messages=messages_after(session=session, after_id=after),
        last_message_at=last_message_at(session),
    )


def session_states(opens: list[tuple[Session, str, object]]) -> list[dict]:
    """``session_state`` of many sockets, (session, role, after) each, for sessions read
    in the same call: who is present and the last message of every session in one query
    each, and the transcript read only for a socket that has something to catch up."""
    topics = [session.topic for session, _role, _after in opens]
    present = alive_roles_by_topic(topics)
    tops = {
        row["session_id"]: row
        for row in Message.objects.filter(session_id__in={s.pk for s, _r, _a in opens})
        .values("session_id")
        .annotate(top=Max("id"), last=Max("created_at"))
    }
    states = []
    for session, role, after in opens:
        top = tops.get(session.pk)
        behind = top is not None and top["top"] > (whole_number(after) or 0)
        states.append(
            realtime.session_state(
                session,
                role=role,
                present=present[session.topic],
                messages=messages_after(session=session, after_id=after) if behind else [],
                last_message_at=top["last"] if top is not None else None,
            )
        )
    return states


def standby_state(*, provider) -> dict:
    presence = Provider.objects.only("presence_state", "presence_after_session").get(pk=provider.pk)
    live = list(
        Session.objects.filter(provider=provider, status__in=Session.LIVE_STATUSES)
        .select_related("customer")
        .order_by("requested_at")
    )
    return {
        "type": "standby.state",
        "state": presence.presence_state,
        "after_session": presence.presence_after_session,
        "ringing": [
            realtime.session_ringing(s, newcomer=False)["session"]
            for s in live
            if s.status == Session.Status.REQUESTED
        ],
        "active": [
            {"id": s.pk, "url": realtime.session_accepted(s)["url"]}
            for s in live
            if s.status == Session.Status.ACTIVE
        ],
    }


def transcript(*, session: Session) -> list[Message]:
    return list(Message.objects.filter(session=session).select_related("sender").order_by("id"))


def sessions_for_user(*, user, page=None) -> Page:
    """A person's sessions, as customer or as provider, newest first."""
    sessions = (
        Session.objects.filter(Q(customer=user) | Q(provider__user=user))
        .select_related("provider", "customer")
        .order_by("-requested_at", "-id")
    )
    return Paginator(sessions, 20).get_page(page)


@dataclass(frozen=True)
class PastCustomer:
    user: object
    sessions: int
    last_at: object
    blocked: bool


def recent_customers(*, provider, limit: int = 20) -> list[PastCustomer]:
    """The provider's customers, most recent first, for invitations and blocks."""
    rows = list(
        Session.objects.filter(provider=provider)
        .values("customer")
        .annotate(count=Count("id"), last=Max("requested_at"))
        .order_by("-last")[:limit]
    )
    users = get_user_model().objects.in_bulk([row["customer"] for row in rows])
    blocked = set(
        Relationship.objects.filter(
            provider=provider, customer__in=users, blocked_at__isnull=False
        ).values_list("customer_id", flat=True)
    )
    return [
        PastCustomer(
            user=users[row["customer"]],
            sessions=row["count"],
            last_at=row["last"],
            blocked=row["customer"] in blocked,
        )
        for row in rows
    ]


def past_customer(*, provider, customer_id):
    session = (
        Session.objects.filter(provider=provider, customer_id=whole_number(customer_id) or -1)
        .select_related("customer")
        .first()
    )
    if session is None:
        raise NotFound(CUSTOMER_NOT_FOUND)
    return session.customer


def relationship_facts(*, now: datetime, provider_id: int | None = None) -> Facts:
    """What live's sessions say of each (provider, customer) pair, for a rebuild of the
    relationship rows: contacts (sessions requested), completed sessions, and the answered
    drop-ins of the 7 days before ``now``."""
    sessions = Session.objects.all()
    if provider_id is not None:
        sessions = sessions.filter(provider_id=provider_id)
    facts: Facts = {}
    since = now - RECENT_WINDOW
    rows = sessions.values_list(
        "pk", "provider_id", "customer_id", "status", "by_appointment", "requested_at"
    ).order_by("pk")
    for pk, provider, customer, status, by_appointment, requested_at in rows.iterator():
        pair = facts.setdefault((provider, customer), PairFacts())
        pair.first_contact_at = min(filter(None, (pair.first_contact_at, requested_at)))
        pair.last_contact_at = max(filter(None, (pair.last_contact_at, requested_at)))
        if status == Session.Status.COMPLETED:
            pair.sessions_completed += 1
        answered = status in (Session.Status.ACTIVE, Session.Status.COMPLETED)
        if answered and not by_appointment and requested_at >= since:
            pair.recent_drop_ins.append([pk, requested_at.isoformat()])
    return facts


def session_pricing_history(session: Session) -> pricing.History:
    """The customer's pricing history with the provider for this session: as it was when
    the session was requested (kept with its terms), else from the relationship row."""
    earlier = (session.policy or {}).get("earlier_sessions")
    if isinstance(earlier, int) and not isinstance(earlier, bool):
        return pricing.History(earlier_sessions=earlier)
    return customer_history(
        customer=session.customer_id, provider=session.provider_id, exclude_session_id=session.pk
    )
