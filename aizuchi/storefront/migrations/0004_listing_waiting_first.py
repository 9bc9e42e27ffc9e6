"""The default listing order puts providers waiting for callers first: an expression index
matching its ORDER BY (NOT presence_state = 'open', recommend_score DESC, id DESC), so the
first page is read from the index, not by sorting every listed provider."""

from django.db import migrations

FORWARD = """
    CREATE INDEX storefront_provider_waiting_first ON storefront_provider
    ((NOT (presence_state = 'open')), recommend_score DESC, id DESC)
"""
BACKWARD = "DROP INDEX IF EXISTS storefront_provider_waiting_first"


class Migration(migrations.Migration):
    dependencies = [("storefront", "0003_search_index")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD, elidable=False)]
