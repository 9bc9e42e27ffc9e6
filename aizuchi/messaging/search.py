"""Search in one's own messages: the same folding and bigrams as storefront search
(``storefront.selectors.query``), over an index of messages (migration 0002).

A message's document is its folded text cut into bigrams per run of word characters,
plus two scope tokens: its provider's (``xp<id>``) and its customer's (``xc<id>``). No
token of the text is longer than two characters, so a scope token (three or more) never
meets one. A query is every word as a phrase of its bigrams, AND the searcher's scope.

SQLite: a contentless FTS5 table written with each message (``index_add``, in the
message's transaction); matches are read newest first (rowid descending), so a page of
results costs what it finds, whether the word is everywhere or nowhere.
PostgreSQL: a GIN index over the folded text's one- and two-character pieces; each word
is then checked with ``strpos``. A word found in a large share of the messages walks the
newest messages instead (the planner's estimate from the GIN statistics says which).
Other databases: a scan with LIKE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection

from aizuchi.storefront.selectors.query import fts_can_answer, fts_expression, grams, pg_keys

FTS_TABLE = "messaging_message_fts"
# A word in more than this share of the messages is "broad" on PostgreSQL: walk the
# newest messages and test each, rather than gather every match through the index.
BROAD_SHARE = 0.02


def scope_token(role: str, owner_id: int) -> str:
    return f"xp{owner_id}" if role == "provider" else f"xc{owner_id}"


def document(text: str, *, provider_id: int, customer_id: int) -> str:
    return f"{grams(text)} xp{provider_id} xc{customer_id}".strip()


def index_add(rows: Iterable[tuple[int, str, int, int]]) -> None:
    """Index messages: (id, text, provider id, customer id) each. SQLite only (the
    PostgreSQL index is an expression index the database keeps itself)."""
    if connection.vendor != "sqlite":
        return
    values = [
        (pk, document(text, provider_id=provider_id, customer_id=customer_id))
        for pk, text, provider_id, customer_id in rows
    ]
    if values:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE}(rowid, grams) VALUES (%s, %s)",  # noqa: S608
                values,
            )


def sqlite_matching_ids(role: str, owner_id: int, terms: Sequence[str], limit: int) -> list[int]:
    """The newest ids of the scope's messages holding every term (FTS5)."""
    expression = f'"{scope_token(role, owner_id)}" AND {fts_expression(terms)}'
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
            " ORDER BY rowid DESC LIMIT %s",
            [expression, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def sqlite_can_answer(terms: Sequence[str]) -> bool:
    return connection.vendor == "sqlite" and all(fts_can_answer(term) for term in terms)


def postgres_is_broad(terms: Sequence[str], *, max_keys: int = 6) -> bool:
    """Does some key of the query occur in more than BROAD_SHARE of the messages? The
    least of the planner's estimates per key (from the GIN statistics) against the
    table's size."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'messaging_message'")
        row = cursor.fetchone()
        total = max(1.0, float(row[0])) if row else 1.0
        estimate = None
        for key in pg_keys(terms)[:max_keys]:
            cursor.execute(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM messaging_message"
                " WHERE messaging_message_keys(folded) @> ARRAY[%s]::text[]",
                [key],
            )
            plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            rows = int(plan[0]["Plan"]["Plan Rows"])
            estimate = rows if estimate is None else min(estimate, rows)
    return estimate is not None and estimate > BROAD_SHARE * total


def postgres_condition(terms: Sequence[str], *, broad: bool) -> tuple[str, list]:
    """SQL (a WHERE fragment on messaging_message) true of messages holding every term."""
    conditions, params = [], []
    if not broad:
        conditions.append("messaging_message_keys(messaging_message.folded) @> %s::text[]")
        params.append(pg_keys(terms))
    for term in terms:
        if broad or len(term) > 2:  # one- and two-character terms are exact keys
            conditions.append("strpos(messaging_message.folded, %s) > 0")
            params.append(term)
    return " AND ".join(conditions), params
