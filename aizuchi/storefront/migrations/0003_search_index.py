"""The search index over SearchDocument.grams, and indexes for the listing's sorts.

SQLite: an FTS5 external-content table over storefront_searchdocument.grams, kept in
step by triggers (see aizuchi.storefront.selectors.query for how queries use it).
PostgreSQL: a GIN index over storefront_search_keys(grams): the bigram tokens and the
first character of each.
Both: expression indexes for the price sort (providers without a price last) and the
newest sort, which the model's plain indexes cannot serve.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE storefront_search_fts USING fts5(
        grams,
        content='storefront_searchdocument',
        content_rowid='provider_id',
        tokenize="unicode61 remove_diacritics 0",
        columnsize=0
    )
    """,
    """
    CREATE TRIGGER storefront_search_fts_insert AFTER INSERT ON storefront_searchdocument
    BEGIN
        INSERT INTO storefront_search_fts(rowid, grams) VALUES (new.provider_id, new.grams);
    END
    """,
    """
    CREATE TRIGGER storefront_search_fts_delete AFTER DELETE ON storefront_searchdocument
    BEGIN
        INSERT INTO storefront_search_fts(storefront_search_fts, rowid, grams)
        VALUES ('delete', old.provider_id, old.grams);
    END
    """,
    """
    CREATE TRIGGER storefront_search_fts_update AFTER UPDATE ON storefront_searchdocument
    BEGIN
        INSERT INTO storefront_search_fts(storefront_search_fts, rowid, grams)
        VALUES ('delete', old.provider_id, old.grams);
        INSERT INTO storefront_search_fts(rowid, grams) VALUES (new.provider_id, new.grams);
    END
    """,
    "INSERT INTO storefront_search_fts(storefront_search_fts) VALUES ('rebuild')",
    # How many documents hold each token: lets a query pick its plan (search.py).
    "CREATE VIRTUAL TABLE storefront_search_vocab USING fts5vocab(storefront_search_fts, 'row')",
]
SQLITE_BACKWARD = [
    "DROP TABLE IF EXISTS storefront_search_vocab",
    "DROP TRIGGER IF EXISTS storefront_search_fts_update",
    "DROP TRIGGER IF EXISTS storefront_search_fts_delete",
    "DROP TRIGGER IF EXISTS storefront_search_fts_insert",
    "DROP TABLE IF EXISTS storefront_search_fts",
]

POSTGRES_FORWARD = [
    # Every token, then the first character of every token (for one-character queries).
    r"""
    CREATE FUNCTION storefront_search_keys(grams text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    -- Costly per row (a regular expression over every gram): tell the planner, so it
    -- reads the GIN index rather than evaluate this for each row of a walk.
    COST 10000
    AS $$
        SELECT string_to_array(grams, ' ')
            || string_to_array(regexp_replace(grams, '(\S)\S*', '\1', 'g'), ' ')
    $$
    """,
    """
    CREATE INDEX storefront_search_keys_gin ON storefront_searchdocument
    USING gin (storefront_search_keys(grams))
    """,
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS storefront_search_keys_gin",
    "DROP FUNCTION IF EXISTS storefront_search_keys(text)",
]

COMMON_FORWARD = [
    """
    CREATE INDEX storefront_provider_price_listing
    ON storefront_provider ((price_from IS NULL), price_from, id DESC)
    """,
    "CREATE INDEX storefront_provider_newest ON storefront_provider (created_at DESC, id DESC)",
]
COMMON_BACKWARD = [
    "DROP INDEX IF EXISTS storefront_provider_newest",
    "DROP INDEX IF EXISTS storefront_provider_price_listing",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


forward = _run(
    {
        "sqlite": SQLITE_FORWARD + COMMON_FORWARD,
        "postgresql": POSTGRES_FORWARD + COMMON_FORWARD,
    }
)
backward = _run(
    {
        "sqlite": COMMON_BACKWARD + SQLITE_BACKWARD,
        "postgresql": COMMON_BACKWARD + POSTGRES_BACKWARD,
    }
)


class Migration(migrations.Migration):
    dependencies = [("storefront", "0002_categories")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
