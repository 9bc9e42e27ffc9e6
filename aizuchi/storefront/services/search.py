"""Japanese search over providers: folding, the bigram index, matching and highlights.

Why bigrams. Japanese has no spaces between words and many everyday words are two
characters long (恋愛, 仕事, 傾聴), which a trigram index cannot answer. So, like
pg_bigm, every provider's text is folded (NFKC + casefold: ＬＩＮＥ = line, ｶﾀｶﾅ =
カタカナ) and cut into overlapping two-character grams per run of word characters.

``SearchDocument.grams`` holds, for each run of word characters, its bigrams in order
followed by the run's last character on its own ("仕事です" → "仕事 事で です す"). The
trailing single character makes every character of the text the first character of
some token (so a one-character query is a prefix query) and sits between the bigrams of
two runs, so a phrase of bigrams can never span two runs.

SQLite: an FTS5 external-content table (``storefront_search_fts``, migration 0003,
``unicode61 remove_diacritics 0``; the tests check that it keeps every bigram whole)
mirrors ``grams`` through triggers. A query word of n ≥ 2 characters is the FTS5 phrase
of its n - 1 consecutive bigrams, which matches exactly the documents that contain the
word (tokens of a phrase must be consecutive). A one-character word is a prefix query.

PostgreSQL: a GIN index over ``storefront_search_keys(grams)`` (the tokens plus their
first characters) answers array containment; words of three or more characters are
then checked with ``strpos`` on the folded ``text``, since containment ignores order.

Several words in a query must all match (AND). Words are the runs of word characters in
the folded query, so quotes, FTS5 operators and punctuation in user input are only
separators and never reach a query language.

Services call ``search_document_refresh(provider_id=…)`` after any change to text that
search reads (profile, tags, blog posts); ``search_documents_rebuild`` rebuilds many.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import connection, transaction

from ..models import BlogPost, Provider, ProviderTag, SearchDocument
from ..selectors.query import FTS_TABLE, document_text, grams, normalize

# --- Documents ----------------------------------------------------------------------------


def _document(provider: Provider, tags, posts) -> SearchDocument:
    text = document_text(provider, tags, posts)
    return SearchDocument(provider_id=provider.pk, text=normalize(text), grams=grams(text))


def search_document_refresh(*, provider_id: int) -> None:
    """Rebuild the search document of one provider from its current text.

    Call it after any change to the display name, concept, description, specialist
    tags or blog posts (publishing or unpublishing included). A provider that no longer
    exists simply has no document.
    """
    provider = (
        Provider.objects.only("id", "display_name", "concept", "description")
        .filter(pk=provider_id)
        .first()
    )
    if provider is None:
        SearchDocument.objects.filter(provider_id=provider_id).delete()
        return
    tags = ProviderTag.objects.filter(provider_id=provider_id).values_list("name", flat=True)
    posts = (
        BlogPost.objects.filter(provider_id=provider_id, is_published=True)
        .order_by("id")
        .values_list("title", "body")
    )
    document = _document(provider, list(tags), list(posts))
    SearchDocument.objects.update_or_create(
        provider_id=provider_id, defaults={"text": document.text, "grams": document.grams}
    )


def search_documents_rebuild(provider_ids: Iterable[int] | None = None, *, batch_size=2000) -> int:
    """Rebuild the search documents of these providers (all when None); returns how many.

    Reads and writes in batches (three reads and two writes per batch), so it suits
    seeding and `manage.py search_reindex`.
    """
    if provider_ids is None:
        ids: Iterable[int] = (
            Provider.objects.order_by("id")
            .values_list("id", flat=True)
            .iterator(chunk_size=batch_size)
        )
    else:
        ids = sorted(set(provider_ids))
    done = 0
    for batch in itertools.batched(ids, batch_size):
        providers = Provider.objects.filter(pk__in=batch).only(
            "id", "display_name", "concept", "description"
        )
        tags: dict[int, list[str]] = defaultdict(list)
        for provider_id, name in (
            ProviderTag.objects.filter(provider_id__in=batch)
            .order_by("id")
            .values_list("provider_id", "name")
        ):
            tags[provider_id].append(name)
        posts: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for provider_id, title, body in (
            BlogPost.objects.filter(provider_id__in=batch, is_published=True)
            .order_by("id")
            .values_list("provider_id", "title", "body")
        ):
            posts[provider_id].append((title, body))
        documents = [_document(p, tags[p.pk], posts[p.pk]) for p in providers]
        with transaction.atomic():
            SearchDocument.objects.filter(provider_id__in=batch).delete()
            SearchDocument.objects.bulk_create(documents)
        done += len(documents)
    return done


_FTS_INSERT_TRIGGER = """
    CREATE TRIGGER IF NOT EXISTS storefront_search_fts_insert
    AFTER INSERT ON storefront_searchdocument
    BEGIN
        INSERT INTO storefront_search_fts(rowid, grams) VALUES (new.provider_id, new.grams);
    END
"""


@contextlib.contextmanager
def bulk_indexing() -> Iterator[None]:
    """For seeding many documents: index them once at the end instead of row by row.

    On SQLite, indexing each inserted row through the trigger took 12 s for 50,000 demo
    documents; inserting without it and rebuilding the FTS5 table took 2.4 s. So the
    insert trigger is dropped for the block and the index rebuilt after it (also if the
    block fails). Other databases: nothing to do (the GIN index is maintained in bulk).
    Meant for seed_demo, not for a server taking writes at the same time.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS storefront_search_fts_insert")
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_FTS_INSERT_TRIGGER)
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608
