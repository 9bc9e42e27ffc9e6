"""`manage.py search_reindex`: rebuild the search documents (all, or some providers)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from aizuchi.storefront.selectors.query import FTS_TABLE
from aizuchi.storefront.services.search import search_documents_rebuild


class Command(BaseCommand):
    help = "Rebuild the search documents of every provider (or of the given ids)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider_ids", nargs="*", type=int, help="Only these providers.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count = search_documents_rebuild(options["provider_ids"] or None)
        if connection.vendor == "sqlite" and not options["provider_ids"]:
            # Merge the FTS5 segments the rebuild wrote: smaller and faster to read.
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")  # noqa: S608
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Rebuilt {count:,} search documents in {elapsed:.1f} s.")
