#!/usr/bin/env python
"""How long does the daily rank job take for a large marketplace?

    .venv/bin/python bench/ranks_recompute.py                          # 200,000 providers, SQLite
    .venv/bin/python bench/ranks_recompute.py --providers 20000
    .venv/bin/python bench/ranks_recompute.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Builds a throw-away database (a temporary SQLite file, or a new PostgreSQL database
`aizuchi_bench_ranks`, dropped at the end), fills it with providers, customers and about
three sessions per provider over the last 120 days (60 % of providers active, ratings set
directly on the providers), then times `ranks_recompute` three times: the first run (most
ranks and scores change, assessments and notifications are written), a second run the
same day (nothing changes), and a run a day later (newcomer scores move). Prints seconds,
queries and what each run wrote, and the database size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "aizuchi_bench_ranks"
BATCH = 5000


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=200_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="aizuchi-ranks-bench-")
    if args.database_url:
        parts = urlsplit(args.database_url)
        admin_url = args.database_url
        _pg_admin(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        _pg_admin(admin_url, f"CREATE DATABASE {BENCH_DATABASE}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
        label = "PostgreSQL"
    else:
        os.environ["AIZUCHI_SQLITE_PATH"] = str(Path(tmp.name) / "bench.sqlite3")
        os.environ.pop("DATABASE_URL", None)
        label = "SQLite"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["AIZUCHI_TASKS_BACKEND"] = "immediate"
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    try:
        run(args.providers, label)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url:
            _pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        tmp.cleanup()


def run(n_providers: int, label: str) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from aizuchi.accounts.models import User
    from aizuchi.live.models import Session
    from aizuchi.reputation.services.ranks import ranks_recompute
    from aizuchi.storefront.models import Provider

    call_command("migrate", verbosity=0)
    now = timezone.now()
    password = make_password("bench-password-1")
    n_customers = max(1000, n_providers // 4)
    started = time.monotonic()

    def users(prefix: str, count: int):
        for start in range(0, count, BATCH):
            with transaction.atomic():
                User.objects.bulk_create(
                    [
                        User(email=f"{prefix}{i}@bench.example", password=password)
                        for i in range(start, min(count, start + BATCH))
                    ],
                    batch_size=BATCH,
                )

    users("c", n_customers)
    users("p", n_providers)
    customer_ids = list(
        User.objects.filter(email__startswith="c").order_by("pk").values_list("pk", flat=True)
    )
    provider_user_ids = list(
        User.objects.filter(email__startswith="p").order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, n_providers, BATCH):
        with transaction.atomic():
            Provider.objects.bulk_create(
                [
                    Provider(
                        user_id=uid,
                        display_name=f"聞き手{i}",
                        concept="ゆっくり聞きます",
                        created_at=now - timedelta(days=(i * 37) % 400),
                        rating_avg=Decimal(f"{3 + (i % 21) / 10:.2f}") if i % 3 else 0,
                        rating_count=(i % 40) if i % 3 else 0,
                    )
                    for i, uid in enumerate(provider_user_ids[start : start + BATCH], start=start)
                ],
                batch_size=BATCH,
            )
    provider_ids = list(Provider.objects.order_by("pk").values_list("pk", flat=True))

    statuses = ["completed"] * 8 + ["declined", "missed"]
    rows: list[Session] = []
    n_sessions = 0

    def flush():
        nonlocal rows, n_sessions
        with transaction.atomic():
            Session.objects.bulk_create(rows, batch_size=BATCH)
        n_sessions += len(rows)
        rows = []

    for i, pid in enumerate(provider_ids):
        if i % 10 >= 6:
            continue  # 40 % of providers have had no sessions
        count = 1 + (i * 7919) % 10  # 1 … 10 sessions, about 3 on average over all providers
        regulars = [customer_ids[(i * 31 + k) % n_customers] for k in range(1 + i % 4)]
        for k in range(count):
            requested = now - timedelta(days=(i * 13 + k * 11) % 120, minutes=k)
            status = statuses[(i + k) % len(statuses)]
            done = status == "completed"
            rows.append(
                Session(
                    provider_id=pid,
                    customer_id=regulars[k % len(regulars)],
                    channel="voice",
                    status=status,
                    requested_at=requested,
                    started_at=requested + timedelta(minutes=1) if done else None,
                    ended_at=requested + timedelta(minutes=31) if done else None,
                    billable_seconds=1800 if done else 0,
                    charged_yen=(1000 + (i * k) % 9000) * (1 + i % 7) if done else 0,
                )
            )
        if len(rows) >= BATCH * 4:
            flush()
    flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.monotonic() - started
    print(
        f"{label}: {n_providers:,} providers, {n_customers:,} customers, "
        f"{n_sessions:,} sessions built in {built:.1f} s"
    )

    for name, at in (("first run", now), ("same day", now), ("next day", now + timedelta(days=1))):
        counted = {"all": 0, "select": 0}

        def count(execute, sql, params, many, context, counted=counted):
            counted["all"] += 1
            counted["select"] += sql.lstrip().upper().startswith(("SELECT", "WITH"))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            summary = ranks_recompute(now=at)
        print(
            f"  {name:9}: {summary.seconds:6.2f} s (reading {summary.read_seconds:.2f} s), "
            f"{counted['all']:,} queries ({counted['select']:,} reads), "
            f"providers updated {summary.updated:,}, "
            f"assessments {summary.assessments:,}, promoted {summary.promoted:,}, "
            f"demoted {summary.demoted:,}"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    else:
        size = Path(connection.settings_dict["NAME"]).stat().st_size
    print(f"  database size: {size / 1024 / 1024:.0f} MB")


if __name__ == "__main__":
    main()
