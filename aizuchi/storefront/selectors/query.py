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

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..models import Provider

_WORD = re.compile(r"[^\W_]+")
FTS_TABLE = "storefront_search_fts"
# Letters that SQLite's unicode61 tokenizer (Unicode 6.1 tables) treats as separators
# although Python counts them as word characters (New Tai Lue vowel signs, two Vedic
# signs). Words containing them skip the FTS index and are matched by scanning.
_FTS_BLIND = frozenset(chr(cp) for cp in (*range(0x19B0, 0x19C1), 0x19C8, 0x19C9, 0x1CF2, 0x1CF3))
# A query is cut to this many distinct words; more add nothing but cost.
MAX_TERMS = 10


def normalize(text: str) -> str:
    """Fold width and case so ＡＢＣ, abc and ABC, ｶﾀｶﾅ and カタカナ meet."""
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """The runs of word characters of the folded text, in order."""
    return _WORD.findall(normalize(text))


def grams(text: str) -> str:
    """Cut folded text into bigrams per run of word characters (see the module doc)."""
    tokens: list[str] = []
    for run in _WORD.findall(normalize(text)):
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        tokens.append(run[-1])
    return " ".join(tokens)


def query_terms(query: str) -> list[str]:
    """The distinct words of a user's query that a document must all contain.

    A word inside another word is dropped (「恋愛 恋」 needs only 恋愛): it adds nothing.
    """
    unique = list(dict.fromkeys(words(query or "")))
    kept = [term for term in unique if not any(term != other and term in other for other in unique)]
    return kept[:MAX_TERMS]


def matches(text: str, terms: Sequence[str]) -> bool:
    """The reference rule: the folded text contains every term (what the index answers)."""
    folded = normalize(text)
    return all(term in folded for term in terms)


# --- Documents ----------------------------------------------------------------------------


def document_text(provider: Provider, tags: Iterable[str], posts: Iterable[tuple[str, str]]) -> str:
    """Everything search reads for a provider, as one text (before folding)."""
    parts = [provider.display_name, provider.concept, provider.description, *tags]
    for title, body in posts:
        parts += [title, body]
    return "\n".join(part for part in parts if part)


# --- Queries ------------------------------------------------------------------------------


def fts_can_answer(term: str) -> bool:
    return not any(char in _FTS_BLIND for char in term)


def fts_expression(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression for terms from `query_terms` (word characters only).

    Each term is a quoted phrase of its bigrams ("恋愛相談" → "恋愛 愛相 相談"); a
    one-character term is a quoted prefix ("猫" *). Terms are joined with AND.
    """
    parts = []
    for term in terms:
        if len(term) == 1:
            parts.append(f'"{term}" *')
        else:
            parts.append('"' + " ".join(term[i : i + 2] for i in range(len(term) - 1)) + '"')
    return " AND ".join(parts)


def pg_keys(terms: Sequence[str]) -> list[str]:
    """The index keys every matching document has (see storefront_search_keys)."""
    keys: dict[str, None] = {}
    for term in terms:
        if len(term) == 1:
            keys[term] = None
        for i in range(len(term) - 1):
            keys[term[i : i + 2]] = None
    return list(keys)


VOCAB_TABLE = "storefront_search_vocab"
# A query found in more than this share of documents is "broad": rather than start from
# the index matches (a look-up of a wide provider row per match, then a sort: fine for a
# rare word, ~35 ms for a word in 14,000 of 50,000 documents on SQLite), walk the sort
# order and test each provider (2 ms for that word, but slow for a rare word).
BROAD_SHARE = 0.04


def sqlite_documents_with(terms: Sequence[str]) -> int:
    """An upper bound of the documents containing every term, from the FTS5 vocabulary.

    One indexed lookup per bigram; a one-character term sums the tokens it begins.
    """
    estimate = None
    with connection.cursor() as cursor:
        for term in terms:
            if not fts_can_answer(term):
                continue
            if len(term) == 1:
                sql = f"SELECT coalesce(sum(doc), 0) FROM {VOCAB_TABLE} WHERE term >= %s AND term < %s"  # noqa: S608, E501
                cursor.execute(sql, [term, chr(ord(term) + 1)])
                counts = [cursor.fetchone()[0]]
            else:
                counts = []
                for i in range(len(term) - 1):
                    cursor.execute(
                        f"SELECT doc FROM {VOCAB_TABLE} WHERE term = %s",  # noqa: S608
                        [term[i : i + 2]],
                    )
                    row = cursor.fetchone()
                    counts.append(row[0] if row else 0)
            for count in counts:
                estimate = count if estimate is None else min(estimate, count)
            if estimate == 0:
                return 0
    return estimate if estimate is not None else 1 << 30


# Only constant SQL is ever joined to this; every user value travels as a parameter.
_DOCUMENTS_WHERE = "SELECT provider_id FROM storefront_searchdocument WHERE "


def postgres_documents_with(terms: Sequence[str], *, max_keys: int = 8) -> int:
    """About how many documents hold every term: the least of the planner's estimates for
    single keys (GIN statistics). Per key, because for several keys at once the planner
    multiplies their shares as if independent (カウンセラー: 1 row estimated, 8 % real).
    """
    estimate = None
    with connection.cursor() as cursor:
        for key in pg_keys(terms)[:max_keys]:
            cursor.execute(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM storefront_searchdocument"
                " WHERE storefront_search_keys(grams) @> ARRAY[%s]::text[]",
                [key],
            )
            plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            rows = int(plan[0]["Plan"]["Plan Rows"])
            estimate = rows if estimate is None else min(estimate, rows)
    return estimate or 0


def is_broad(terms: Sequence[str], total: int) -> bool:
    """Is the query likely to match many providers (then walk the sort order)?

    SQLite: from the FTS5 vocabulary; PostgreSQL: from the planner's GIN statistics.
    """
    if connection.vendor == "sqlite":
        return sqlite_documents_with(terms) > BROAD_SHARE * total
    if connection.vendor == "postgresql":
        return postgres_documents_with(terms) > BROAD_SHARE * total
    return False


def matching_provider_ids_sql(terms: Sequence[str], *, broad: bool = False) -> tuple[str, list]:
    """SQL selecting the ids of providers whose document contains every term.

    With ``broad`` on PostgreSQL, only the exact substring test on the folded text: the
    query then walks the sort order and tests each provider, instead of reading every
    match through the GIN index and sorting them.
    """
    vendor = connection.vendor
    if vendor == "postgresql" and broad:
        conditions = ["strpos(text, %s) > 0"] * len(terms)
        return _DOCUMENTS_WHERE + " AND ".join(conditions), list(terms)
    if vendor == "sqlite":
        indexed = [t for t in terms if fts_can_answer(t)]
        scanned = [t for t in terms if not fts_can_answer(t)]
        if not scanned:
            return (
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
                [fts_expression(indexed)],
            )
        conditions = ["instr(text, %s) > 0"] * len(scanned)
        params: list = list(scanned)
        if indexed:
            conditions.append(
                f"provider_id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"  # noqa: S608
            )
            params.append(fts_expression(indexed))
        sql = _DOCUMENTS_WHERE + " AND ".join(conditions)
        return sql, params
    if vendor == "postgresql":
        conditions = ["storefront_search_keys(grams) @> %s::text[]"]
        params = [pg_keys(terms)]
        for term in terms:
            if len(term) > 2:  # one- and two-character terms are exact keys
                conditions.append("strpos(text, %s) > 0")
                params.append(term)
        sql = _DOCUMENTS_WHERE + " AND ".join(conditions)
        return sql, params
    # Any other database: a plain scan of the folded text.
    conditions = ["text LIKE %s"] * len(terms)
    like = [
        "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for term in terms
    ]
    sql = _DOCUMENTS_WHERE + " AND ".join(conditions)
    return sql, like


# --- Highlighting -------------------------------------------------------------------------


_fold_char = functools.lru_cache(maxsize=8192)(normalize)


def _folded_with_map(text: str) -> tuple[str, Sequence[int]]:
    """Fold char by char; position i of the folded text came from original char map[i].

    Char by char because NFKC can change lengths (ｶﾞ → ガ, ㍻ → 平成); most profile text
    is already folded, and then the map is the identity.
    """
    if normalize(text) == text:
        return text, range(len(text))
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        pieces.append(folded)
        origin.extend([index] * len(folded))
    return "".join(pieces), origin


def _match_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Merged [start, end) spans of the original text where some term occurs."""
    if not terms or not text:
        return []
    folded, origin = _folded_with_map(text)
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            spans.append((origin[start], origin[end - 1] + 1))
            start = folded.find(term, end)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, spans: Sequence[tuple[int, int]]) -> SafeString:
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(escape(text[position:start]))
        out.append("<mark>" + escape(text[start:end]) + "</mark>")
        position = end
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308 — every piece of text is escaped above


def highlight(text: str, terms: Sequence[str]) -> SafeString:
    """The text, escaped, with every occurrence of a term wrapped in <mark>."""
    return _render(text, _match_spans(text, terms))


def snippet(text: str, terms: Sequence[str], *, width: int = 80) -> SafeString | None:
    """About `width` characters of text around the first match, highlighted; None if none."""
    spans = _match_spans(text, terms)
    if not spans:
        return None
    first_start, first_end = spans[0]
    before = max(0, (width - (first_end - first_start)) // 3)
    start = max(0, first_start - before)
    end = min(len(text), start + max(width, first_end - start))
    inside = [
        (max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start
    ]
    body = _render(text[start:end], inside)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + body + suffix)  # noqa: S308 — _render escapes


_MARKDOWN_NOISE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[#>*_`~|]+|^\s*[-+]\s+", re.MULTILINE)


def plain_text(markdown: str) -> str:
    """Markdown source as one line of readable text, for snippets."""
    text = _MARKDOWN_NOISE.sub(lambda m: m.group(1) or " ", markdown)
    return " ".join(text.split())
