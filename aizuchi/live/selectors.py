"""Reads for live sessions and the standby page."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q

from aizuchi.core.connections import alive_roles, connection_open
from aizuchi.core.errors import NotFound
from aizuchi.core.models import Connection
from aizuchi.core.money import whole_number
from aizuchi.presence.models import Block
from aizuchi.presence.services import CUSTOMER_NOT_FOUND, presence_get, presence_topic
from aizuchi.storefront.models import Provider

from . import realtime
from .models import Message, Session
from .services.chat import last_message_at, messages_after


def provider_of(*, user) -> Provider | None:
    return Provider.objects.select_related("user").filter(user=user).first()


def session_state(*, session: Session, role: str, after="0") -> dict:
    session.refresh_from_db()
    return realtime.session_state(
        session,
        role=role,
        present=alive_roles(topic=session.topic),
        messages=messages_after(session=session, after_id=after),
        last_message_at=last_message_at(session),
    )


def standby_connection_open(*, provider) -> Connection:
    return connection_open(topic=presence_topic(provider.pk), user=provider.user, role="provider")


def standby_state(*, provider) -> dict:
    presence = presence_get(provider=provider)
    live = list(
        Session.objects.filter(provider=provider, status__in=Session.LIVE_STATUSES)
        .select_related("customer")
        .order_by("requested_at")
    )
    return {
        "type": "standby.state",
        "state": presence.state,
        "after_session": presence.after_session,
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
    rows = (
        Session.objects.filter(provider=provider)
        .values("customer")
        .annotate(count=Count("id"), last=Max("requested_at"))
        .order_by("-last")[:limit]
    )
    rows = list(rows)
    users = get_user_model().objects.in_bulk([row["customer"] for row in rows])
    blocked = set(
        Block.objects.filter(provider=provider, customer__in=users).values_list(
            "customer_id", flat=True
        )
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
