"""Small database moves the services share, each one statement on both databases."""

from __future__ import annotations

from django.db import models, router
from django.db.models.constants import OnConflict


def insert_or_skip(obj: models.Model) -> bool:
    """Insert ``obj`` unless a unique constraint already holds its row, in one statement
    (``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on PostgreSQL, ``INSERT OR IGNORE …
    RETURNING id`` on SQLite). True, with ``obj.pk`` set, when the row is new; False when
    the row was there (or a concurrent transaction inserting it committed first: the
    statement waits for it), and nothing is written.

    Where a read, an insert in a savepoint and a read again were four round trips, this is
    one, and there is no savepoint to roll back to (an insert that skips is no error)."""
    meta = obj._meta
    pk = meta.pk
    assert pk is not None  # noqa: S101 - every model has a primary key
    fields = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and not (field is pk and obj.pk is None)
    ]
    using = router.db_for_write(type(obj), instance=obj)
    rows = type(obj)._base_manager._insert(  # type: ignore[attr-defined]  # Django's own door
        [obj],
        fields=fields,
        returning_fields=[pk],
        using=using,
        on_conflict=OnConflict.IGNORE,
    )
    if not rows:
        return False
    obj.pk = rows[0][0]
    obj._state.adding = False
    obj._state.db = using
    return True
