"""The search index over messages' folded text (as storefront search indexes providers).

SQLite: a contentless FTS5 table of each message's bigrams plus two scope tokens (its
provider's and its customer's), written by the send service in the message's
transaction (``messaging.search``); a query is a phrase of bigrams per word AND the
searcher's scope token, read newest first, so it stops at the first page.
PostgreSQL: a GIN index over every one- and two-character piece of the folded text
(``messaging_message_keys``); a query asks containment of its words' pieces and checks
each word with ``strpos``, or, for a word in a large share of messages, walks the newest
messages with ``strpos`` alone.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE messaging_message_fts USING fts5(
        grams,
        content='',
        tokenize="unicode61 remove_diacritics 0",
        columnsize=0
    )
    """,
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS messaging_message_fts"]

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION messaging_message_keys(folded text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    -- Costly per row: the planner reads the GIN index rather than evaluate it in a walk.
    COST 10000
    AS $$
        SELECT coalesce(array_agg(DISTINCT piece), '{}')
        FROM generate_series(1, length(folded)) AS i,
             LATERAL (VALUES (substr(folded, i, 1)), (substr(folded, i, 2))) AS p(piece)
    $$
    """,
    """
    CREATE INDEX messaging_message_keys_gin ON messaging_message
    USING gin (messaging_message_keys(folded))
    """,
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS messaging_message_keys_gin",
    "DROP FUNCTION IF EXISTS messaging_message_keys(text)",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
            elidable=False,
        )
    ]
