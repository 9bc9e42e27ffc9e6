#!/usr/bin/env python
"""How fast does the billing ledger charge sessions, and read the balance of a busy account?

    .venv/bin/python bench/billing.py               # SQLite, 2,000 sessions, 1,000,000 postings
    .venv/bin/python bench/billing.py --quick       # small numbers: a smoke run
    .venv/bin/python bench/billing.py --sessions 5000 --threads 8
    .venv/bin/python bench/billing.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Builds a throw-away database `aizuchi_bench_billing`, dropped at the end: SQLite, a new
file var/bench/aizuchi_bench_billing.sqlite3; PostgreSQL, a new database on --database-url's
server. --database-name names it otherwise (two runs on one server, each its own).

1. Charges. 200 customers buy points through the billing services (a manual payment,
   settled), 10 providers sell a prepaid chat (¥100 a minute, at most 30 minutes) and a
   postpaid voice call (¥150 a minute). For each run the sessions are inserted first;
   only the billing is timed: per prepaid session `holds.hold_place` (¥3,000, the cap)
   and `charges.session_charge(..., hold=hold)` (a charge entry and a release entry);
   per postpaid session `charges.session_charge` (a charge entry and an invoice). The
   prepaid run is repeated with --threads threads, each with its own connection and its
   own customers (a customer has one session at a time), all providers shared. Prints
   sessions, ledger entries and postings per second, queries and this process's CPU
   milliseconds (Python and the driver) per session, and checks every account's cached
   balance against the sum of its postings.
2. Balance. One wallet gets --postings postings (entries inserted directly, each
   balanced against a platform account, the cached balances set to match), then the
   tables are analysed (VACUUM ANALYZE on PostgreSQL, what autovacuum does after a
   load) and `ledger.balance_yen` (the sum of the postings), `ledger.balance_at_yen`
   (the sum up to a moment halfway) and `ledger.balance_cached_yen` (the cached column)
   are timed. Prints milliseconds, the query plan of the sum, and whether the sum and
   the cached balance agree.

--quick: 20 customers, 200 sessions per run, 20,000 postings (about half a minute).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import benchdb

MB = 1024 * 1024
BATCH = 50_000  # entries per transaction while building the large account
SESSION_BATCH = 1000
CUSTOMERS, CUSTOMERS_QUICK = 200, 20
PROVIDERS = 10
PREPAID_YEN_PER_MINUTE = 100
POSTPAID_YEN_PER_MINUTE = 150
CAP_MINUTES = 30
HOLD_YEN = PREPAID_YEN_PER_MINUTE * CAP_MINUTES  # what session_start_check holds at the cap
LONGEST_SECONDS = (CAP_MINUTES - 1) * 60  # every session leaves part of its hold to release


@dataclass
class Run:
    name: str
    threads: int
    sessions: int
    seconds: float
    cpu_seconds: float  # this process's CPU time (all threads): Python and the driver
    entries: int
    postings: int
    queries: int


@dataclass
class Results:
    label: str
    runs: list[Run] = field(default_factory=list)
    accounts_checked: int = 0
    accounts_wrong: int = 0
    postings: int = 0
    build_seconds: float = 0.0
    balance_ms: dict[str, float] = field(default_factory=dict)
    plan: list[str] = field(default_factory=list)
    balances_agree: bool = False
    size_bytes: int = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, help="sessions per run (default 2,000)")
    parser.add_argument("--threads", type=int, default=4, help="threads of the parallel run")
    parser.add_argument(
        "--postings", type=int, help="postings on the large account (default 1,000,000)"
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    benchdb.add_database_arguments(parser, "aizuchi_bench_billing")
    args = parser.parse_args()
    sessions = args.sessions or (200 if args.quick else 2000)
    postings = args.postings or (20_000 if args.quick else 1_000_000)
    customers = CUSTOMERS_QUICK if args.quick else CUSTOMERS
    cached_calls = 100 if args.quick else 1000

    with benchdb.throwaway(args.database_name, args.database_url) as label:
        results = run(
            label,
            sessions=sessions,
            threads=max(1, args.threads),
            postings=postings,
            customers=customers,
            cached_calls=cached_calls,
        )
    summary(results)


def run(
    label: str, *, sessions: int, threads: int, postings: int, customers: int, cached_calls: int
):
    from django.db import connection

    results = Results(label=label)
    print(f"{label}: {sessions:,} sessions per run, {threads} threads, {postings:,} postings")

    market = marketplace_build(customers, PROVIDERS, prepaid_sessions=2 * sessions)
    for name, count, n_threads, prepaid in (
        ("prepaid: hold + charge", sessions, 1, True),
        ("prepaid: hold + charge", sessions, threads, True),
        ("postpaid: charge + invoice", sessions, 1, False),
    ):
        batch = sessions_create(market, count, prepaid=prepaid)
        result = charge_run(name, batch, n_threads, market, prepaid=prepaid)
        results.runs.append(result)
        print(
            f"  {name:<27} {n_threads} thread{'s' if n_threads > 1 else ' '}: "
            f"{result.sessions / result.seconds:6,.1f} sessions/s, "
            f"{result.entries / result.seconds:6,.1f} entries/s, "
            f"{result.postings / result.seconds:6,.1f} postings/s "
            f"({result.seconds:.1f} s, {result.cpu_seconds:.1f} s CPU in this process, "
            f"{result.queries / result.sessions:.1f} queries/session)"
        )
    results.accounts_checked, results.accounts_wrong = ledger_check()
    print(
        f"  ledger check: {results.accounts_checked:,} accounts, cached balance == sum of "
        f"postings: {'yes' if not results.accounts_wrong else f'NO ({results.accounts_wrong})'}"
    )

    large_account(results, postings, cached_calls)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            results.size_bytes = cursor.fetchone()[0]
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(connection.settings_dict["NAME"])
        results.size_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(f"  database size: {results.size_bytes / MB:,.0f} MB")
    return results


# --- 1. charges -------------------------------------------------------------------------------


@dataclass
class Marketplace:
    customers: list
    providers: list
    prepaid: dict  # provider id -> its prepaid offering
    postpaid: dict  # provider id -> its postpaid offering
    position: dict  # customer id -> index (which thread charges the customer)
    made: int = 0  # sessions created so far


def marketplace_build(n_customers: int, n_providers: int, *, prepaid_sessions: int) -> Marketplace:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from aizuchi.accounts.models import User
    from aizuchi.storefront.models import Offering, Provider

    started = time.perf_counter()
    password = make_password(None)
    with transaction.atomic():
        customers = User.objects.bulk_create(
            User(email=f"c{i}@bench.example", password=password, display_name=f"客{i}")
            for i in range(n_customers)
        )
        provider_users = User.objects.bulk_create(
            User(email=f"p{i}@bench.example", password=password) for i in range(n_providers)
        )
        providers = Provider.objects.bulk_create(
            Provider(user=user, display_name=f"聞き手{i}", concept="ゆっくり聞きます")
            for i, user in enumerate(provider_users)
        )
        prepaid = Offering.objects.bulk_create(
            Offering(
                provider=provider,
                channel=Offering.Channel.CHAT,
                price_per_minute=PREPAID_YEN_PER_MINUTE,
                session_cap_minutes=CAP_MINUTES,
                payment=Offering.Payment.PREPAID,
            )
            for provider in providers
        )
        postpaid = Offering.objects.bulk_create(
            Offering(
                provider=provider,
                channel=Offering.Channel.VOICE,
                price_per_minute=POSTPAID_YEN_PER_MINUTE,
                payment=Offering.Payment.POSTPAID,
            )
            for provider in providers
        )
    built = time.perf_counter() - started

    # Points the way customers get them: a payment started, then settled.
    per_customer = -(-prepaid_sessions // n_customers)
    needed = per_customer * PREPAID_YEN_PER_MINUTE * CAP_MINUTES + HOLD_YEN
    started = time.perf_counter()
    count = sum(
        benchdb.points_bought(customer, needed, key=f"bench-points-{n:06d}")
        for n, customer in enumerate(customers)
    )
    funded = time.perf_counter() - started
    print(
        f"  {n_customers:,} customers, {n_providers} providers built in {built:.1f} s; "
        f"{count:,} points purchases (start + settle) in {funded:.1f} s "
        f"({count / funded:,.0f}/s), ¥{needed:,} each"
    )
    return Marketplace(
        customers=customers,
        providers=providers,
        prepaid={o.provider_id: o for o in prepaid},
        postpaid={o.provider_id: o for o in postpaid},
        position={c.pk: i for i, c in enumerate(customers)},
    )


def sessions_create(market: Marketplace, count: int, *, prepaid: bool) -> list:
    """``count`` sessions that have just ended, customers and providers taken in turn; the
    related rows are attached, as a caller holding the session would have them."""
    from django.db import transaction
    from django.utils import timezone

    from aizuchi.live.models import Session

    now = timezone.now()
    offerings = market.prepaid if prepaid else market.postpaid
    made = []
    for start in range(0, count, SESSION_BATCH):
        rows = []
        for i in range(market.made + start, market.made + min(count, start + SESSION_BATCH)):
            customer = market.customers[i % len(market.customers)]
            provider = market.providers[(i + i // len(market.customers)) % len(market.providers)]
            offering = offerings[provider.pk]
            seconds = 60 + (i * 7919) % (LONGEST_SECONDS - 59)  # 1 minute … 29 minutes
            rows.append(
                Session(
                    provider=provider,
                    customer=customer,
                    offering=offering,
                    channel=offering.channel,
                    status=Session.Status.COMPLETED,
                    requested_at=now - timedelta(seconds=seconds + 30),
                    started_at=now - timedelta(seconds=seconds),
                    ended_at=now,
                    billable_seconds=seconds,
                )
            )
        with transaction.atomic():
            made += Session.objects.bulk_create(rows)
    market.made += count
    return made


def charge_one(session, *, prepaid: bool) -> None:
    from aizuchi.billing.services import charges, holds

    hold = None
    if prepaid:
        hold = holds.hold_place(
            customer=session.customer,
            amount_yen=HOLD_YEN,
            provider=session.provider,
            reference=f"session:{session.pk}",
            key=f"session:{session.pk}:hold",
        )
    charges.session_charge(session=session, billable_seconds=session.billable_seconds, hold=hold)


def charge_run(name: str, sessions: list, threads: int, market: Marketplace, *, prepaid: bool):
    """Bill ``sessions`` on ``threads`` threads (each with its own connection and its own
    customers); times from the moment all threads are connected until the last is done."""
    from django.db import connection

    from aizuchi.billing.models import Charge, Entry, Posting

    def counts() -> tuple[int, int, int]:
        return Entry.objects.count(), Posting.objects.count(), Charge.objects.count()

    groups = [
        [s for s in sessions if market.position[s.customer_id] % threads == t]
        for t in range(threads)
    ]
    queries = [0] * threads
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def work(t: int) -> None:
        def count(execute, sql, params, many, context):
            queries[t] += 1
            return execute(sql, params, many, context)

        try:
            connection.ensure_connection()
            barrier.wait()
            with connection.execute_wrapper(count):
                for session in groups[t]:
                    charge_one(session, prepaid=prepaid)
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    before = counts()
    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a thread failed: see below
        barrier.wait()
    started, cpu_started = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if errors:
        raise errors[0]
    after = counts()
    if after[2] - before[2] != len(sessions):
        raise RuntimeError(f"{name}: {after[2] - before[2]} charges for {len(sessions)} sessions")
    return Run(
        name=name,
        threads=threads,
        sessions=len(sessions),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        entries=after[0] - before[0],
        postings=after[1] - before[1],
        queries=sum(queries),
    )


def ledger_check() -> tuple[int, int]:
    """Every account: is the cached balance the (signed) sum of its postings?"""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    from aizuchi.billing.models import PLATFORM_KINDS, Account

    accounts = Account.objects.annotate(total=Coalesce(Sum("postings__amount_yen"), 0))
    # The platform's accounts keep no cached balance (models.Account.balance_yen): theirs
    # stays 0 and their balance is the sum.
    wrong = sum(
        1
        for a in accounts
        if a.balance_yen != (0 if a.kind in PLATFORM_KINDS else a.sign * a.total)
    )
    return len(accounts), wrong


# --- 2. the balance of a busy account ----------------------------------------------------------


def large_account(results: Results, n: int, cached_calls: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, connections, transaction
    from django.db.models import F, Max
    from django.utils import timezone

    from aizuchi.accounts.models import User
    from aizuchi.billing import ledger
    from aizuchi.billing.models import Account, Entry, Posting

    user = User.objects.create(
        email="ledger@bench.example", password=make_password(None), display_name="常連"
    )
    wallet = ledger.wallet(user)
    clearing = ledger.gateway_clearing("manual")
    promotions = ledger.promotions()
    first = timezone.now() - timedelta(minutes=n + 60)  # one entry a minute, all in the past
    first_id = (Entry.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    postgres = connection.vendor == "postgresql"
    bought = taken = 0

    started = time.perf_counter()
    for start in range(0, n, BATCH):
        entries, postings = [], []
        for g in range(start, min(n, start + BATCH)):
            at = first + timedelta(minutes=g)
            if not postgres:
                at = connection.ops.adapt_datetimefield_value(at)
            if g % 4 == 3:  # staff take points away (an adjustment against promotions)
                yen = 1 + (g * 104_729) % 2000
                taken += yen
                entries.append((first_id + g, Entry.Kind.ADJUSTMENT.value, at, "bench"))
                postings.append((first_id + g, wallet.pk, yen, at))
                postings.append((first_id + g, promotions.pk, -yen, at))
            else:  # points bought through the manual gateway
                yen = 500 + (g * 7919) % 9500
                bought += yen
                entries.append((first_id + g, Entry.Kind.PURCHASE.value, at, ""))
                postings.append((first_id + g, clearing.pk, yen, at))
                postings.append((first_id + g, wallet.pk, -yen, at))
        with transaction.atomic(), connection.cursor() as cursor:
            entry_sql = "billing_entry (id, kind, created_at, reason)"
            posting_sql = "billing_posting (entry_id, account_id, amount_yen, created_at)"
            if postgres:
                for table, rows in ((entry_sql, entries), (posting_sql, postings)):
                    with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {entry_sql} VALUES (%s, %s, %s, %s)", entries)  # noqa: S608
                cursor.executemany(f"INSERT INTO {posting_sql} VALUES (%s, %s, %s, %s)", postings)  # noqa: S608
    with transaction.atomic():
        # The cached balances, in each account's normal direction, as entry_post keeps them.
        Account.objects.filter(pk=wallet.pk).update(balance_yen=F("balance_yen") + bought - taken)
        Account.objects.filter(pk=clearing.pk).update(balance_yen=F("balance_yen") + bought)
        Account.objects.filter(pk=promotions.pk).update(balance_yen=F("balance_yen") - taken)
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('billing_entry', 'id'), "
                "(SELECT max(id) FROM billing_entry))"
            )
            cursor.execute("VACUUM ANALYZE billing_entry, billing_posting, billing_account")
        else:
            cursor.execute("ANALYZE")
    results.postings = n
    results.build_seconds = time.perf_counter() - started
    print(
        f"  large account: {n:,} postings on one wallet ({2 * n:,} posting rows, {n:,} "
        f"entries) built in {results.build_seconds:.1f} s"
    )

    moment = first + timedelta(minutes=n // 2)
    connections.close_all()  # a new connection: SQLite's page cache is empty
    wallet = Account.objects.get(pk=wallet.pk)
    timings = {
        "balance_yen, first call": timed(lambda: ledger.balance_yen(wallet), 1),
        "balance_yen, median of 5": timed(lambda: ledger.balance_yen(wallet), 5),
        "balance_at_yen (halfway), first call": timed(
            lambda: ledger.balance_at_yen(wallet, moment), 1
        ),
        "balance_at_yen (halfway), median of 5": timed(
            lambda: ledger.balance_at_yen(wallet, moment), 5
        ),
        f"balance_cached_yen, median of {cached_calls:,}": timed(
            lambda: ledger.balance_cached_yen(wallet), cached_calls
        ),
    }
    results.balance_ms = timings
    for what, ms in timings.items():
        print(f"    ledger.{what:<40} {ms:9.3f} ms")

    results.plan = query_plan(lambda: ledger.balance_yen(wallet))
    # The composite index, not the foreign key's own billing_posting_account_id_… index.
    uses = any(re.search(r"\bbilling_posting_account\b", line) for line in results.plan)
    share = n / Posting.objects.count()  # a planner reads the whole table for a large share
    print(
        f"    plan of the sum (uses billing_posting_account: {'yes' if uses else 'NO'}; "
        f"the account has {share:.0%} of all postings):"
    )
    for line in results.plan:
        print(f"      {line}")
    at_plan = query_plan(lambda: ledger.balance_at_yen(wallet, moment))
    print("    plan of the sum up to a moment:")
    for line in at_plan:
        print(f"      {line}")

    derived, cached = ledger.balance_yen(wallet), ledger.balance_cached_yen(wallet)
    results.balances_agree = derived == cached == bought - taken
    halfway = ledger.balance_at_yen(wallet, moment)
    print(
        f"    derived ¥{derived:,} == cached ¥{cached:,}: "
        f"{'yes' if results.balances_agree else 'NO'} (halfway: ¥{halfway:,})"
    )


def timed(call, repeat: int) -> float:
    """The median of ``repeat`` calls, in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def query_plan(call) -> list[str]:
    """The database's plan for the last query ``call`` makes."""
    from django.db import connection

    seen: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        call()
    sql, params = seen[-1]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[3] for row in cursor.fetchall()]


# --- summary ----------------------------------------------------------------------------------


def summary(results: Results) -> None:
    print()
    header = (
        f"{'database':<18} {'run':<27} {'threads':>7} {'sessions':>8} {'sessions/s':>10} "
        f"{'entries/s':>10} {'postings/s':>10} {'queries/session':>15} {'CPU ms/session':>14}"
    )
    print(header)
    print("-" * len(header))
    for r in results.runs:
        print(
            f"{results.label:<18} {r.name:<27} {r.threads:>7} {r.sessions:>8,} "
            f"{r.sessions / r.seconds:>10,.1f} {r.entries / r.seconds:>10,.1f} "
            f"{r.postings / r.seconds:>10,.1f} {r.queries / r.sessions:>15.1f} "
            f"{r.cpu_seconds / r.sessions * 1000:>14.1f}"
        )
    print()
    header = f"{'database':<18} {f'balance, {results.postings:,} postings':<47} {'ms':>10}"
    print(header)
    print("-" * len(header))
    for what, ms in results.balance_ms.items():
        print(f"{results.label:<18} {'ledger.' + what:<47} {ms:>10.3f}")
    scans = [
        line.strip().lstrip("-> ")
        for line in results.plan
        if "SCAN" in line.upper() or "SEARCH" in line
    ]
    print(f"{results.label:<18} plan: {scans[0] if scans else ''}")
    print(
        f"{results.label:<18} derived == cached: {'yes' if results.balances_agree else 'NO'}; "
        f"all accounts after the charges: "
        f"{'yes' if not results.accounts_wrong else f'NO ({results.accounts_wrong})'}; "
        f"database {results.size_bytes / MB:,.0f} MB"
    )


if __name__ == "__main__":
    main()
