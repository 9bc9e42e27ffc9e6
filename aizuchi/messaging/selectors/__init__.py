"""Reads of the messaging domain and its gates: a thread (or a message, an image) is seen
only by its customer and its provider, and a reported message by staff. Every gate
raises ``NotFound`` alike for "missing" and "not yours", so ids cannot be probed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from aizuchi.access.selectors import AccessDecision, Action, MessageFacts, access_check
from aizuchi.core.errors import NotFound
from aizuchi.core.money import object_id
from aizuchi.storefront.selectors.query import normalize, query_terms

from .. import search
from ..models import Message, MessageImage, MessageReport, Role, Thread

THREAD_NOT_FOUND = _("That conversation does not exist.")
MESSAGE_NOT_FOUND = _("That message does not exist.")
IMAGE_NOT_FOUND = _("That image does not exist.")


def messaging_setting(name: str):
    return settings.AIZUCHI_MESSAGING[name]


# --- the gates ----------------------------------------------------------------------------


def thread_get_for_participant(*, user, thread_id) -> Thread:
    """The thread, for its customer or its provider; ``NotFound`` for anyone else."""
    pk = object_id(thread_id)
    if pk is None or not getattr(user, "is_authenticated", False):
        raise NotFound(THREAD_NOT_FOUND)
    thread = (
        Thread.objects.select_related("provider__user", "customer")
        .filter(Q(customer=user) | Q(provider__user=user), pk=pk)
        .first()
    )
    if thread is None:
        raise NotFound(THREAD_NOT_FOUND)
    return thread


def message_get_for_participant(*, user, message_id) -> Message:
    """A message of one of the person's threads (with its thread)."""
    pk = object_id(message_id)
    if pk is None or not getattr(user, "is_authenticated", False):
        raise NotFound(MESSAGE_NOT_FOUND)
    message = (
        Message.objects.select_related("thread__provider__user", "thread__customer")
        .filter(Q(thread__customer=user) | Q(thread__provider__user=user), pk=pk)
        .first()
    )
    if message is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    return message


def message_get_for_staff(*, user, message_id) -> Message:
    """A reported message, for staff (staff see reported messages, not threads)."""
    pk = object_id(message_id)
    if pk is None or not (getattr(user, "is_authenticated", False) and user.is_staff):
        raise NotFound(MESSAGE_NOT_FOUND)
    message = (
        Message.objects.select_related("thread__provider__user", "thread__customer", "author")
        .filter(pk=pk, reports__isnull=False)
        .distinct()
        .first()
    )
    if message is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    return message


def image_get_for_viewer(*, user, image_id) -> MessageImage:
    """An image of a message: for the thread's two people, and for staff when the
    message was reported."""
    pk = object_id(image_id)
    if pk is None or not getattr(user, "is_authenticated", False):
        raise NotFound(IMAGE_NOT_FOUND)
    seen = Q(message__thread__customer=user) | Q(message__thread__provider__user=user)
    if user.is_staff:
        seen |= Q(message__reports__isnull=False)
    image = (
        MessageImage.objects.select_related("message")
        .filter(seen, pk=pk, message__hidden_at__isnull=True)
        .first()
    )
    if image is None and user.is_staff:  # staff still see a hidden message's images
        image = MessageImage.objects.filter(pk=pk, message__reports__isnull=False).first()
    if image is None:
        raise NotFound(IMAGE_NOT_FOUND)
    return image


def thread_for_pair(*, provider, customer) -> Thread | None:
    return Thread.objects.filter(provider=provider, customer=customer).first()


# --- what a message costs -----------------------------------------------------------------


def free_sent_counter(thread: Thread | None):
    """How many free messages the thread's customer has sent since a moment (None: ever)."""

    def count(since: datetime | None) -> int:
        if thread is None or thread.pk is None:
            return 0
        sent = Message.objects.filter(thread=thread, free=True)
        if since is not None:
            sent = sent.filter(created_at__gte=since)
        return sent.count()

    return count


def message_quote_for_customer(
    *, customer, provider, thread: Thread | None = None, now: datetime | None = None
) -> AccessDecision:
    """May ``customer`` send ``provider`` a message now, and what will it cost: the one
    access policy, with the free messages counted here. The composer shows it, the
    socket sends it, and the send service asks it again inside its transaction."""
    if thread is None:
        thread = thread_for_pair(provider=provider, customer=customer)
    return access_check(
        customer=customer,
        provider=provider,
        action=Action.MESSAGE,
        message_facts=MessageFacts(free_sent_since=free_sent_counter(thread)),
        now=now,
    )


# --- inboxes --------------------------------------------------------------------------------


def unread_total(*, user) -> int:
    """Messages waiting for this person, as a customer and (with a storefront) as a
    provider: the header badge."""
    if not getattr(user, "is_authenticated", False):
        return 0
    as_customer = Thread.objects.filter(customer=user, customer_unread__gt=0).aggregate(
        n=Sum("customer_unread")
    )["n"]
    as_provider = Thread.objects.filter(provider__user=user, provider_unread__gt=0).aggregate(
        n=Sum("provider_unread")
    )["n"]
    return (as_customer or 0) + (as_provider or 0)


def unread_for_role(*, role: str, user=None, provider=None) -> int:
    if role == Role.CUSTOMER:
        found = Thread.objects.filter(customer=user, customer_unread__gt=0).aggregate(
            n=Sum("customer_unread")
        )["n"]
    else:
        found = Thread.objects.filter(provider=provider, provider_unread__gt=0).aggregate(
            n=Sum("provider_unread")
        )["n"]
    return found or 0


def inbox(*, role: str, user=None, provider=None, unread_only: bool = False, page=None) -> Page:
    """One side's threads, newest first (each with the other side), a page at a time."""
    if role == Role.CUSTOMER:
        threads = Thread.objects.filter(customer=user).select_related("provider")
        if unread_only:
            threads = threads.filter(customer_unread__gt=0)
    else:
        threads = Thread.objects.filter(provider=provider).select_related("customer")
        if unread_only:
            threads = threads.filter(provider_unread__gt=0)
    threads = threads.order_by("-last_message_at", "-id")
    return Paginator(threads, messaging_setting("INBOX_PAGE")).get_page(page)


@dataclass(frozen=True)
class ThreadPage:
    """The latest messages of a thread (or those before ``before``), oldest first."""

    messages: list[Message]
    has_older: bool


def _with_images(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.select_related("author").prefetch_related("images")


def thread_messages(*, thread: Thread, before_id=None, limit: int | None = None) -> ThreadPage:
    limit = limit or messaging_setting("THREAD_PAGE")
    found = Message.objects.filter(thread=thread)
    before = object_id(before_id) if before_id is not None else None
    if before is not None:
        found = found.filter(pk__lt=before)
    latest = list(_with_images(found.order_by("-id"))[: limit + 1])
    return ThreadPage(messages=latest[:limit][::-1], has_older=len(latest) > limit)


def messages_after(*, thread: Thread, after_id, limit: int = 200) -> tuple[list[Message], bool]:
    """The messages after ``after_id`` (catching up after a reconnect); True when there
    were more than ``limit`` (the client reloads)."""
    after = object_id(after_id) or 0
    found = list(
        _with_images(Message.objects.filter(thread=thread, pk__gt=after).order_by("id"))[
            : limit + 1
        ]
    )
    return found[:limit], len(found) > limit


def messages_search(
    *, role: str, query: str, user=None, provider=None, limit: int = 30
) -> list[Message]:
    """One's own messages (either side's, in one's own threads of this role) whose text
    contains every word of ``query``: folded as storefront search folds (NFKC +
    casefold) and matched as substrings through a bigram index (``messaging.search``), so
    two-character Japanese words are found. Newest first; hidden messages left out."""
    terms = query_terms(query)
    if not terms:
        return []
    if role == Role.CUSTOMER:
        found = Message.objects.filter(thread__customer=user)
        owner_id = user.pk
    else:
        found = Message.objects.filter(thread__provider=provider)
        owner_id = provider.pk
    found = found.filter(hidden_at__isnull=True)
    if search.sqlite_can_answer(terms):
        # Newest first from the index; a few more than a page, for hidden ones.
        ids = search.sqlite_matching_ids(role, owner_id, terms, limit * 2)
        found = found.filter(pk__in=ids)
    elif connection.vendor == "postgresql":
        sql, params = search.postgres_condition(terms, broad=search.postgres_is_broad(terms))
        found = found.extra(where=[sql], params=params)  # noqa: S610 - constant SQL, values as params
    else:
        for term in terms:
            found = found.filter(folded__contains=normalize(term))
    return list(
        found.select_related("thread__provider", "thread__customer").order_by("-id")[:limit]
    )


def thread_state(*, thread: Thread, role: str, after) -> dict:
    """What a thread's socket sends on connect: the messages after ``after`` and both
    read marks."""
    from ..realtime import message_shape, thread_shape

    messages, more = messages_after(thread=thread, after_id=after)
    return {
        **thread_shape(thread),
        "role": role,
        "messages": [message_shape(m, list(m.images.all())) for m in messages],
        "more": more,
    }


# --- staff ----------------------------------------------------------------------------------


def reported_messages(*, limit: int = 100) -> list[Message]:
    """Messages with open reports, the longest waiting first, each with its open reports
    (``open_reports``)."""
    open_reports = MessageReport.objects.filter(status=MessageReport.Status.OPEN).select_related(
        "reporter"
    )
    return list(
        Message.objects.filter(reports__status=MessageReport.Status.OPEN)
        .distinct()
        .select_related("thread__provider", "thread__customer", "author")
        .prefetch_related(
            "images", Prefetch("reports", queryset=open_reports, to_attr="open_reports")
        )
        .order_by("id")[:limit]
    )


def reports_decided(*, limit: int = 30) -> QuerySet[MessageReport]:
    return (
        MessageReport.objects.filter(status=MessageReport.Status.DECIDED)
        .select_related("message__thread__provider", "reporter", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )
