"""`manage.py relationships_rebuild [--provider ID]`: recompute the relationship rows from
the facts each domain keeps (sessions, bookings, charges and refunds). Blocks and
invitations are the rows' own and stay as they are."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from aizuchi.billing.selectors import relationship_facts as billing_facts
from aizuchi.booking.selectors import relationship_facts as booking_facts
from aizuchi.live.selectors import relationship_facts as live_facts
from aizuchi.relationships.selectors import Facts, facts_merged
from aizuchi.relationships.services import relationships_rebuild


def relationship_facts(*, now, provider_id: int | None = None) -> Facts:
    """Every domain's facts of the pairs, merged (the site is above them all)."""
    return facts_merged(
        [
            live_facts(now=now, provider_id=provider_id),
            booking_facts(now=now, provider_id=provider_id),
            billing_facts(provider_id=provider_id),
        ]
    )


class Command(BaseCommand):
    help = "Rebuild the relationship rows from sessions, bookings and charges."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", type=int, help="Only this provider's customers.")

    def handle(self, *args: Any, **options: Any) -> None:
        started, now = time.perf_counter(), timezone.now()
        provider_id = options.get("provider")
        facts = relationship_facts(now=now, provider_id=provider_id)
        written = relationships_rebuild(facts=facts, provider_id=provider_id, now=now)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Rebuilt {written:,} relationship rows in {elapsed:.1f} s.")
