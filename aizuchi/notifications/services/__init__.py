"""Every change to notifications, and the push that tells the person's open pages."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from aizuchi.core.realtime import publish, publish_many, user_group

from .. import realtime
from ..kinds import KINDS
from ..models import Notification
from ..selectors import notification_for_user, notification_unread_count


def notification_send(
    *, user, kind: str, params: dict | None = None, url: str = ""
) -> Notification:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    with transaction.atomic(savepoint=False):
        notification = Notification(user=user, kind=kind, params=params or {}, url=url)
        unread = _insert_counting_unread(notification)
        publish(
            user_group(user.pk),
            realtime.notification_created(
                notification, unread_count=unread, language=user.language
            ),
        )
    return notification


def _insert_counting_unread(notification: Notification) -> int:
    """Insert ``notification`` (unread, as every new one is) and read how many its person
    has unread, with it, in one statement: the count is a subquery of the insert's
    RETURNING, of the person's other unread rows (PostgreSQL's subquery does not see the
    new row, SQLite's does; both leave it out and add one). Only the new row's id is read
    from it there (SQLite 3.40 misreads ``IS NULL`` of a returned column)."""
    meta = Notification._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(notification, True), connection) for field in fields
    ]
    column = {field.name: quote(field.column or field.name) for field in meta.concrete_fields}
    columns = ", ".join(column[field.name] for field in fields)
    user, read_at, pk = column["user"], column["read_at"], column["id"]
    placeholders = ", ".join(["%s"] * len(fields))
    # Names from the model's meta, quoted; every value a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"RETURNING {table}.{pk}, 1 + (SELECT COUNT(*) FROM {table} AS other "
        f"WHERE other.{user} = %s AND other.{read_at} IS NULL AND other.{pk} <> {table}.{pk})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, notification.user_id])
        notification.pk, unread = cursor.fetchone()
    notification._state.adding = False
    notification._state.db = connection.alias
    return unread


BATCH = 2000


def notifications_send(
    *, users: Sequence[int], kind: str, params: Sequence[dict], url: Sequence[str] | str = ""
) -> list[Notification]:
    """One notification of ``kind`` to each of many people (by user id, with their own
    ``params`` and ``url``): rows inserted in batches, then one push to each person's open
    pages after commit, all from one event loop. For jobs that tell thousands at once
    (the rank job); ``notification_send`` costs a few queries per person."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if len(params) != len(users) or (not isinstance(url, str) and len(url) != len(users)):
        raise ValueError("one params (and url) per user")
    urls = [url] * len(users) if isinstance(url, str) else list(url)
    created: list[Notification] = []
    with transaction.atomic():
        for start in range(0, len(users), BATCH):
            ids = list(users[start : start + BATCH])
            batch = Notification.objects.bulk_create(
                [
                    Notification(user_id=user_id, kind=kind, params=p, url=u)
                    for user_id, p, u in zip(
                        ids, params[start : start + BATCH], urls[start : start + BATCH], strict=True
                    )
                ]
            )
            languages = dict(
                get_user_model().objects.filter(pk__in=ids).values_list("pk", "language")
            )
            unread = dict(
                Notification.objects.filter(user_id__in=ids, read_at__isnull=True)
                .order_by()
                .values("user_id")
                .annotate(n=Count("id"))
                .values_list("user_id", "n")
            )
            publish_many(
                [
                    (
                        user_group(n.user_id),
                        realtime.notification_created(
                            n,
                            unread_count=unread.get(n.user_id, 1),
                            language=languages.get(n.user_id, "ja"),
                        ),
                    )
                    for n in batch
                ]
            )
            created += batch
    return created


def notification_mark_read(*, user, notification_id: int) -> Notification:
    with transaction.atomic():
        notification = notification_for_user(user=user, notification_id=notification_id)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        _publish_state(user)
    return notification


def notification_mark_all_read(*, user) -> int:
    with transaction.atomic():
        changed = Notification.objects.filter(user=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        _publish_state(user)
    return changed


def _publish_state(user) -> None:
    publish(
        user_group(user.pk),
        realtime.notifications_state(unread_count=notification_unread_count(user=user)),
    )
