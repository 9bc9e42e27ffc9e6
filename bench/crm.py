#!/usr/bin/env python
"""Customer cards at scale: the provider's filtered customer list, and the daily
"who to write to today" job.

    .venv/bin/python bench/crm.py                 # SQLite
    .venv/bin/python bench/crm.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/crm.py --quick         # small numbers: a smoke run

Builds a throw-away database (bench/benchdb.py) and bulk-inserts:

1. One provider with --customers customers (default 50,000: relationship rows with
   contacts, completed sessions and money spent), --sessions sessions between them
   (default 1,000,000), cards for a third of them (tier, type, style, tags) and a note on
   every fifth. Then the customer list through Django's test client (the view, selectors,
   template and page shell; no network), unfiltered and under each filter, search of
   names and notes (a Japanese two-character word) and the CSV export's first rows: each
   --repeat times after a warm-up; prints p50 and p95 in ms.
2. --providers providers (default 10,000) with --per-provider customers each (default
   8): tiers, contacts long ago and lately, first sessions yesterday, bookings tomorrow.
   Then the suggestion job over all of them: its time, the candidate pairs it read and
   the suggestions it wrote per second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta

import benchdb

BATCH = 5_000
NOTES = [
    "仕事の悩み。上司との関係",
    "猫の話が好き",
    "夜型。眠れない日が多い",
    "恋愛の相談が中心",
    "家族のことを気にしている",
    "転職を考え中",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    benchdb.add_database_arguments(parser, "aizuchi_bench_crm")
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--providers", type=int, default=10_000)
    parser.add_argument("--per-provider", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile one list page")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.sessions, args.providers, args.repeat = 2_000, 20_000, 300, 5
    with benchdb.throwaway(args.database_name, args.database_url) as label:
        print(f"Customer cards on {label}")
        world = build_list(args)
        for row in list_pages(world, args.repeat, args.profile):
            print("  {:<44} p50 {:>7.1f} ms  p95 {:>7.1f} ms  ({})".format(*row))
        build_suggestions(args, world)
        suggestion_job(args)


def _users(prefix: str, count: int, password: str) -> list:
    from aizuchi.accounts.models import User

    User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{i}@bench.example",
                display_name=f"{prefix}{i}さん",
                password=password,
            )
            for i in range(count)
        ],
        batch_size=BATCH,
    )
    return list(
        User.objects.filter(email__startswith=prefix, email__endswith="@bench.example").order_by(
            "pk"
        )
    )


def build_list(args) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from aizuchi.accounts.models import User
    from aizuchi.crm.models import TYPES_16, Card, Note, Tag
    from aizuchi.live.models import Session
    from aizuchi.relationships.models import Relationship
    from aizuchi.storefront.models import Provider
    from aizuchi.storefront.selectors.query import normalize

    rng = random.Random(17)
    started = time.perf_counter()
    password = make_password(None)
    now = timezone.now()
    owner = User.objects.create(email="provider@bench.example", password=password)
    provider = Provider.objects.create(user=owner, display_name="聞き手", concept="聞きます")
    customers = _users("cu", args.customers, password)
    per = [args.sessions // len(customers)] * len(customers)
    for _ in range(args.sessions - sum(per)):
        per[rng.randrange(len(per))] += 1
    rows = []
    for customer, count in zip(customers, per, strict=True):
        first = now - timedelta(days=rng.randint(30, 900))
        last = first + (now - first) * rng.random()
        rows.append(
            Relationship(
                provider=provider,
                customer=customer,
                first_contact_at=first,
                last_contact_at=last,
                sessions_completed=count,
                sessions_billed=count,
                spent_yen=count * rng.choice((0, 1000, 3000)),
            )
        )
    Relationship.objects.bulk_create(rows, batch_size=BATCH)
    relationships = list(Relationship.objects.filter(provider=provider).order_by("pk"))
    made = 0
    batch: list = []
    for row, count in zip(relationships, per, strict=True):
        for _ in range(count):
            at = row.first_contact_at + (row.last_contact_at - row.first_contact_at) * rng.random()
            batch.append(
                Session(
                    provider=provider,
                    customer_id=row.customer_id,
                    channel=rng.choice(("chat", "voice")),
                    status=Session.Status.COMPLETED,
                    requested_at=at,
                    started_at=at,
                    ended_at=at + timedelta(minutes=30),
                    billable_seconds=1800,
                    charged_yen=3000,
                )
            )
        if len(batch) >= BATCH:
            Session.objects.bulk_create(batch, batch_size=BATCH)
            made += len(batch)
            batch = []
    Session.objects.bulk_create(batch, batch_size=BATCH)
    made += len(batch)
    tags = [Tag.objects.create(provider=provider, name=name) for name in ("夜型", "相談", "常連")]
    cards = [
        Card(
            relationship=row,
            tier=rng.choice((1, 2, 3, 4, None)),
            personality_model="types16",
            personality_type=rng.choice(TYPES_16),
            style=rng.choice(("chat", "consult", "")),
        )
        for row in relationships[::3]
    ]
    Card.objects.bulk_create(cards, batch_size=BATCH)
    cards = list(Card.objects.filter(relationship__provider=provider).order_by("pk"))
    Card.tags.through.objects.bulk_create(
        [Card.tags.through(card_id=c.pk, tag_id=rng.choice(tags).pk) for c in cards],
        batch_size=BATCH,
    )
    notes = []
    for card in cards[::2]:
        text = rng.choice(NOTES)
        notes.append(Note(card=card, text=text, folded=normalize(text)))
    Note.objects.bulk_create(notes, batch_size=BATCH)
    elapsed = time.perf_counter() - started
    print(
        f"  built {len(customers):,} customers, {made:,} sessions, {len(cards):,} cards, "
        f"{len(notes):,} notes in {elapsed:.0f} s"
    )
    return {"owner": owner, "provider": provider, "tag": tags[0]}


def timed(client, url: str, repeat: int) -> tuple[float, float, int]:
    response = client.get(url)  # warm-up
    status = response.status_code
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        if getattr(response, "streaming", False):
            for _chunk, _n in zip(response.streaming_content, range(50), strict=False):
                pass
        times.append((time.perf_counter() - started) * 1000)
        status = max(status, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95, status


def list_pages(world: dict, repeat: int, profile: bool = False) -> list[tuple]:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(world["owner"])
    base = reverse("crm:list")
    rows = []
    for name, query in (
        ("the list, latest contact first", ""),
        ("tier 1", "?tier=1"),
        ("a tag", f"?tag={world['tag'].pk}"),
        ("type INFJ, consultation", "?type=INFJ&style=consult"),
        ("regulars, most spent", "?audience=regulars&sort=spent"),
        ("not seen for 90 days, spent at least ¥10,000", "?not_seen=90&spent_min=10000"),
        ("search notes: 2-character word 仕事", "?q=仕事"),
        ("search names: cu4999", "?q=cu4999"),
        ("page 20", "?page=20"),
    ):
        p50, p95, status = timed(client, base + query, repeat)
        rows.append((name, p50, p95, status))
    p50, p95, status = timed(client, reverse("crm:export") + "?tier=1", max(3, repeat // 5))
    rows.append(("CSV export, tier 1 (first rows)", p50, p95, status))
    # For comparison on the same machine at the same moment: another page of the area.
    p50, p95, status = timed(client, reverse("messaging:provider_inbox"), repeat)
    rows.append(("(reference: the provider's message inbox)", p50, p95, status))
    if profile:
        import cProfile
        import pstats

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            client.get(base + "?tier=1")
        print(f"  one list page: {len(queries)} queries")
        for query in queries.captured_queries:
            print(f"    {query['time']}s {query['sql'][:150]}")
        with cProfile.Profile() as prof:
            client.get(base + "?tier=1")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(
            "crm|template/loader_tags|defaulttags|i18n|forms/", 30
        )
    return rows


def build_suggestions(args, world: dict) -> None:
    """--providers providers with --per-provider customers each, in every situation the
    rules look at."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from aizuchi.accounts.models import User
    from aizuchi.booking.models import Booking
    from aizuchi.crm.models import Card
    from aizuchi.live.models import Session
    from aizuchi.relationships.models import Relationship
    from aizuchi.storefront.models import Provider

    rng = random.Random(23)
    started = time.perf_counter()
    password = make_password(None)
    now = timezone.now()
    owners = _users("pv", args.providers, password)
    Provider.objects.bulk_create(
        [
            Provider(user=u, display_name=f"聞き手{i}", concept="聞きます")
            for i, u in enumerate(owners)
        ],
        batch_size=BATCH,
    )
    providers = list(Provider.objects.filter(user__email__startswith="pv").order_by("pk"))
    customers = list(
        User.objects.filter(email__startswith="cu", email__endswith="@bench.example").values_list(
            "pk", flat=True
        )
    )
    rows, sessions, bookings = [], [], []
    for provider in providers:
        for customer_id in rng.sample(customers, args.per_provider):
            kind = rng.randrange(5)
            last = now - timedelta(days=rng.choice((2, 20, 40, 60, 120)))
            completed = rng.choice((1, 1, 3, 5))
            rows.append(
                Relationship(
                    provider=provider,
                    customer_id=customer_id,
                    first_contact_at=last - timedelta(days=30),
                    last_contact_at=last,
                    sessions_completed=completed,
                    blocked_at=now if kind == 4 and rng.random() < 0.2 else None,
                )
            )
            if kind == 1 and completed == 1:
                at = now - timedelta(hours=20)
                sessions.append(
                    Session(
                        provider=provider,
                        customer_id=customer_id,
                        channel="chat",
                        status=Session.Status.COMPLETED,
                        requested_at=at,
                        started_at=at,
                        ended_at=at + timedelta(minutes=20),
                    )
                )
            if kind == 2:
                start = now + timedelta(hours=24, minutes=40 * len(bookings))
                bookings.append(
                    Booking(
                        provider=provider,
                        customer_id=customer_id,
                        channel="chat",
                        start_at=start,
                        end_at=start + timedelta(minutes=30),
                        blocked_until=start + timedelta(minutes=40),
                        status="confirmed",
                    )
                )
    Relationship.objects.bulk_create(rows, batch_size=BATCH)
    Session.objects.bulk_create(sessions, batch_size=BATCH)
    Booking.objects.bulk_create(bookings, batch_size=BATCH)
    made = Relationship.objects.filter(provider__in=providers).order_by("pk")
    cards = [
        Card(relationship_id=pk, tier=rng.choice((1, 2, 3, 4)))
        for pk in made.values_list("pk", flat=True)
        if rng.random() < 0.4
    ]
    Card.objects.bulk_create(cards, batch_size=BATCH)
    elapsed = time.perf_counter() - started
    print(
        f"  built {len(providers):,} providers, {len(rows):,} pairs, {len(sessions):,} first "
        f"sessions, {len(bookings):,} bookings, {len(cards):,} cards in {elapsed:.0f} s"
    )


def suggestion_job(args) -> None:
    from django.utils import timezone

    from aizuchi.crm.services import suggestions
    from aizuchi.relationships.models import Relationship

    pairs = Relationship.objects.count()
    now = timezone.now()
    started = time.perf_counter()
    facts = suggestions._facts(now, None)
    read = time.perf_counter() - started
    started = time.perf_counter()
    made = suggestions.suggestions_compute(now=now)
    total = time.perf_counter() - started
    print(
        f"  suggestion job over {args.providers:,} providers ({pairs:,} pairs): {total:.1f} s, "
        f"{len(facts):,} candidate pairs read in {read:.1f} s ({len(facts) / read:,.0f} rows/s), "
        f"{made:,} suggestions written ({pairs / total:,.0f} pairs/s overall)"
    )


if __name__ == "__main__":
    main()
