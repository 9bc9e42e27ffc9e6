#!/usr/bin/env python
"""How fast are a provider's free slots worked out, and how many bookings a second go through
when customers race for times?

    .venv/bin/python bench/booking.py               # SQLite, 5,000 bookings, 8 threads
    .venv/bin/python bench/booking.py --quick       # small numbers: a smoke run
    .venv/bin/python bench/booking.py --threads 16 --requests 800
    .venv/bin/python bench/booking.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Builds a throw-away database `aizuchi_bench_booking`, dropped at the end: SQLite, a new
file var/bench/aizuchi_bench_booking.sqlite3; PostgreSQL, a new database on --database-url's
server. --database-name names it otherwise (two runs on one server, each its own).

1. Slots. One provider (Asia/Tokyo) takes bookings a year ahead: appointment windows every
   day 08:00–24:00, 30-minute chat slots, a 10-minute break, no notice; a closed day every
   other week and a morning of extra hours (06:00–08:00) every week (dated changes).
   --bookings confirmed bookings (default 5,000; 500 customers) are bulk-inserted over the
   year, an hour apart (never overlapping, the break included). Times `slots.slots_for` over
   30 and over 365 days (`days=`; median of --repeat runs, after one warm-up) and prints how
   many free slots each finds; and `slots.slot_at` for a time 11 months ahead (what a
   booking request for that time checks).
2. Bookings under contention. Fresh providers with the same plan (no break, so next-door
   slots are distinct, a 30-day horizon); customers with points, each thread its own
   customers and its own database connection. Every request is the real service,
   `bookings.booking_request` (idempotency key, slot check, hold of the price, insert).
   - distinct: --requests requests for distinct free slots of one provider, on 1 thread
     and on --threads; and on --threads each booking its own provider;
   - same few: --requests requests from --threads threads for --hot slots, all at once.
   Prints requests and bookings per second, successes and "just taken", the statements
   each request sends (a loser's stop early), and checks that no
   two live bookings of a provider overlap and that every loser's points are all back.

--quick: 500 bookings, 80 requests per run, 3 repeats (a few seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import benchdb

CUSTOMERS = 500  # whose bookings fill the year
PRICE_PER_MINUTE = 100
SLOT_MINUTES = 30
PRICE = PRICE_PER_MINUTE * SLOT_MINUTES
ZONE = "Asia/Tokyo"


@dataclass
class SlotTiming:
    what: str
    median_ms: float
    slots: int


@dataclass
class Race:
    name: str
    threads: int
    requests: int
    seconds: float
    outcomes: Counter = field(default_factory=Counter)
    queries: int = 0  # statements the requests sent


@dataclass
class Results:
    label: str
    bookings: int = 0
    build_seconds: float = 0.0
    slots: list[SlotTiming] = field(default_factory=list)
    races: list[Race] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, help="bookings over the year (default 5,000)")
    parser.add_argument("--repeat", type=int, help="runs of each slot computation (default 7)")
    parser.add_argument("--threads", type=int, default=8, help="threads of the racing runs")
    parser.add_argument("--requests", type=int, help="booking requests per run (default 400)")
    parser.add_argument("--hot", type=int, default=5, help="slots everyone races for")
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    benchdb.add_database_arguments(parser, "aizuchi_bench_booking")
    args = parser.parse_args()
    bookings = args.bookings or (500 if args.quick else 5000)
    repeat = args.repeat or (3 if args.quick else 7)
    requests = args.requests or (80 if args.quick else 400)

    with benchdb.throwaway(args.database_name, args.database_url) as label:
        results = run(
            label,
            bookings=bookings,
            repeat=repeat,
            threads=max(1, args.threads),
            requests=requests,
            hot=max(1, args.hot),
        )
    summary(results)


def run(
    label: str, *, bookings: int, repeat: int, threads: int, requests: int, hot: int
) -> Results:
    results = Results(label=label)
    print(f"{label}: {bookings:,} bookings over a year, {threads} threads, {requests} requests")
    year_of_slots(results, bookings, repeat)
    contention(results, threads=threads, requests=requests, hot=hot)
    return results


# --- building ---------------------------------------------------------------------------------


def _people(prefix: str, count: int) -> list:
    from django.contrib.auth.hashers import make_password

    from aizuchi.accounts.models import User

    password = make_password(None)
    return User.objects.bulk_create(
        User(email=f"{prefix}{i}@bench.example", password=password, display_name=f"客{i}")
        for i in range(count)
    )


def provider_build(name: str, *, buffer: int, horizon: int):
    """A provider whose appointment windows are every day 08:00–24:00 in Tokyo, with a chat
    offering of 30-minute slots at ¥100 a minute (prepaid), confirmed at once."""
    from django.contrib.auth.hashers import make_password

    from aizuchi.accounts.models import User
    from aizuchi.booking.services.slots import booking_settings_for
    from aizuchi.storefront.models import Offering, Provider
    from aizuchi.storefront.services.standby import WindowSpec, standby_plan_set

    user = User.objects.create(
        email=f"{name}@bench.example", password=make_password(None), time_zone=ZONE
    )
    provider = Provider.objects.create(user=user, display_name=name, concept="予約で話します")
    offering = Offering.objects.create(
        provider=provider,
        channel=Offering.Channel.CHAT,
        price_per_minute=PRICE_PER_MINUTE,
        payment=Offering.Payment.PREPAID,
    )
    standby_plan_set(
        provider=provider,
        windows=[
            WindowSpec(weekday=day, start_time=dt.time(8), minutes=16 * 60, kind="appointment")
            for day in range(7)
        ],
    )
    found = booking_settings_for(provider)
    found.chat_slot_minutes = SLOT_MINUTES
    found.buffer_minutes = buffer
    found.horizon_days = horizon
    found.notice_minutes = 0
    found.save()
    return offering


def year_of_slots(results: Results, n_bookings: int, repeat: int) -> None:
    """A provider's year: dated changes and ``n_bookings`` bookings, then the slot timings."""
    from django.db import transaction
    from django.utils import timezone

    from aizuchi.booking.models import AvailabilityChange, Booking
    from aizuchi.booking.services import slots

    started = time.perf_counter()
    offering = provider_build("year", buffer=10, horizon=365)
    provider = offering.provider
    today = timezone.localdate(timezone=ZoneInfo(ZONE))
    with transaction.atomic():
        AvailabilityChange.objects.bulk_create(
            [
                AvailabilityChange(
                    provider=provider, date=today + dt.timedelta(days=14 * n + 3), kind="closed"
                )
                for n in range(27)
            ]
            + [
                AvailabilityChange(
                    provider=provider,
                    date=today + dt.timedelta(days=7 * week + 5),
                    kind="extra",
                    start_time=dt.time(6),
                    minutes=120,
                )
                for week in range(53)
            ]
        )
    # Free slots an hour apart (a booking and its break fit in an hour), from tomorrow;
    # n_bookings of them spread evenly over the year.
    now = timezone.now()
    candidates = [
        slot
        for slot in slots.slots_for(provider=provider, offering=offering, now=now, days=365)
        if slot.start >= now + dt.timedelta(days=1)
    ]
    hourly = [slot for slot in candidates if slot.start.minute == 0]
    if n_bookings > len(hourly):
        raise SystemExit(f"a year has room for {len(hourly):,} bookings an hour apart")
    chosen = [hourly[i * len(hourly) // n_bookings] for i in range(n_bookings)]
    customers = _people("year", CUSTOMERS)
    with transaction.atomic():
        Booking.objects.bulk_create(
            (
                Booking(
                    provider=provider,
                    customer=customers[i % len(customers)],
                    offering=offering,
                    channel=offering.channel,
                    start_at=slot.start,
                    end_at=slot.end,
                    blocked_until=slot.end + dt.timedelta(minutes=10),
                    status=Booking.Status.CONFIRMED,
                    decided_at=now,
                    price_yen=PRICE,
                )
                for i, slot in enumerate(chosen)
            ),
            batch_size=1000,
        )
    _analyse()
    results.bookings = n_bookings
    results.build_seconds = time.perf_counter() - started
    print(
        f"  a year: {len(candidates):,} slots before booking, {n_bookings:,} bookings from "
        f"{chosen[0].start:%Y-%m-%d} to {chosen[-1].start:%Y-%m-%d}, "
        f"{AvailabilityChange.objects.count()} dated changes; built in "
        f"{results.build_seconds:.1f} s"
    )

    # A time still free about 11 months ahead: the slot check of a request for it.
    free = slots.slots_for(provider=provider, offering=offering, days=365)
    far = next(s for s in reversed(free) if s.start <= now + dt.timedelta(days=335))
    for what, call in (
        (
            "slots_for(days=30)",
            lambda: slots.slots_for(provider=provider, offering=offering, days=30),
        ),
        (
            "slots_for(days=365)",
            lambda: slots.slots_for(provider=provider, offering=offering, days=365),
        ),
        (
            "slot_at(11 months ahead)",
            lambda: [
                slots.slot_at(provider=provider, offering=offering, start=far.start, newcomer=True)
            ],
        ),
    ):
        found = call()  # warm-up (and the count)
        ms = timed(call, repeat)
        taken = sum(1 for s in found if s is not None)
        results.slots.append(SlotTiming(what, ms, taken))
        print(f"    {what:<26} {ms:9.1f} ms (median of {repeat}), {taken:,} free slots")


def _analyse() -> None:
    """What autovacuum does after a load (ANALYZE on both databases)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(call, repeat: int) -> float:
    """The median of ``repeat`` calls, in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


# --- 2. bookings under contention -------------------------------------------------------------


def customers_with_points(prefix: str, count: int, bookings_each: int) -> list:
    """Customers who got their points the way customers do: a payment, settled."""
    people = _people(prefix, count)
    for n, person in enumerate(people):
        benchdb.points_bought(person, PRICE * bookings_each, key=f"bench-{prefix}-{n:05d}-points")
    return people


def race(name: str, jobs: list[list[tuple]]) -> Race:
    """Each thread books its ``jobs`` (customer, offering, start) with the real service, all
    threads starting together; times from then until the last is done."""
    from django.db import connection

    from aizuchi.booking.services.bookings import booking_request
    from aizuchi.core.errors import Conflict, Refused

    outcomes: Counter = Counter()
    queries = [0] * len(jobs)
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs) + 1)

    def work(t: int) -> None:
        mine: Counter = Counter()

        def count(execute, sql, params, many, context):
            queries[t] += 1
            return execute(sql, params, many, context)

        try:
            connection.ensure_connection()
            barrier.wait()
            with connection.execute_wrapper(count):
                book(t, mine)
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()
            with lock:
                outcomes.update(mine)

    def book(t: int, mine: Counter) -> None:
        for i, (customer, offering, start) in enumerate(jobs[t]):
            try:
                booking_request(
                    customer=customer,
                    offering_id=offering.pk,
                    start=start,
                    key=f"{name}-{t:03d}-{i:05d}-bench",
                )
            except Conflict as refused:
                mine[refused.code] += 1
            except Refused as refused:
                mine[refused.reasons[0].code] += 1
            else:
                mine["booked"] += 1

    workers = [threading.Thread(target=work, args=(t,)) for t in range(len(jobs))]
    for worker in workers:
        worker.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Race(name, len(jobs), sum(len(j) for j in jobs), seconds, outcomes, sum(queries))


def contention(results: Results, *, threads: int, requests: int, hot: int) -> None:
    from django.utils import timezone

    from aizuchi.booking.services import slots

    per_thread_customers = 5
    # Enough points for every run: the one-thread run books through the first thread's
    # customers only.
    customers = customers_with_points(
        "racer", threads * per_thread_customers, 2 * requests // per_thread_customers + 2
    )
    groups = [
        customers[t * per_thread_customers : (t + 1) * per_thread_customers] for t in range(threads)
    ]

    def free_slots(offering) -> list:
        tomorrow = timezone.now() + dt.timedelta(days=1)
        found = slots.slots_for(provider=offering.provider, offering=offering)
        return [slot.start for slot in found if slot.start >= tomorrow]

    for n_threads in (1, threads):
        offering = provider_build(f"distinct{n_threads}", buffer=0, horizon=30)
        starts = free_slots(offering)
        if len(starts) < requests:
            raise SystemExit(f"only {len(starts)} free slots for {requests} requests")
        # Request i takes slot i: thread t books every n-th slot, each request its own slot.
        jobs = [
            [
                (groups[t][k % per_thread_customers], offering, starts[i])
                for k, i in enumerate(range(t, requests, n_threads))
            ]
            for t in range(n_threads)
        ]
        report(results, race(f"distinct slots x{n_threads}", jobs))

    # The same, each thread booking its own provider (nothing shared but the database).
    jobs = []
    for t in range(threads):
        offering = provider_build(f"own{t}", buffer=0, horizon=30)
        starts = free_slots(offering)
        jobs.append(
            [
                (groups[t][k % per_thread_customers], offering, starts[k])
                for k in range(len(range(t, requests, threads)))
            ]
        )
    report(results, race(f"{threads} providers x{threads}", jobs))

    offering = provider_build("hot", buffer=0, horizon=30)
    few = free_slots(offering)[:hot]
    jobs = [
        [
            (groups[t][k % per_thread_customers], offering, few[i % hot])
            for k, i in enumerate(range(t, requests, threads))
        ]
        for t in range(threads)
    ]
    report(results, race(f"{hot} slots for everyone", jobs))
    check(customers)


def report(results: Results, run_: Race) -> None:
    results.races.append(run_)
    booked = run_.outcomes["booked"]
    others = ", ".join(f"{k} {v}" for k, v in sorted(run_.outcomes.items()) if k != "booked")
    print(
        f"  {run_.name:<22} {run_.threads:>2} thread{'s' if run_.threads > 1 else ' '}: "
        f"{run_.requests / run_.seconds:6.1f} requests/s, {booked / run_.seconds:6.1f} "
        f"bookings/s, {run_.queries / run_.requests:.1f} queries/request ({run_.seconds:.2f} s; "
        f"booked {booked}{', ' + others if others else ''})"
    )


def check(customers) -> None:
    """No two live bookings of a provider overlap; holds are exactly the live bookings'."""
    from itertools import pairwise

    from aizuchi.billing import ledger
    from aizuchi.booking.models import LIVE_STATUSES, Booking

    overlaps = 0
    live = Booking.objects.filter(status__in=LIVE_STATUSES).order_by("provider", "start_at")
    for a, b in pairwise(live):
        if a.provider_id == b.provider_id and a.blocked_until > b.start_at:
            overlaps += 1
    wrong = 0
    for person in customers:
        held = ledger.balance_yen(ledger.hold_account(person))
        expected = PRICE * Booking.objects.filter(customer=person, hold__isnull=False).count()
        wrong += held != expected
    print(
        f"  check: overlapping live bookings {overlaps}; customers whose held points differ "
        f"from their bookings' {wrong}"
    )
    if overlaps or wrong:
        raise SystemExit("booking invariants broken")


# --- summary ----------------------------------------------------------------------------------


def summary(results: Results) -> None:
    print()
    header = f"{'database':<18} {'slots':<26} {'median ms':>10} {'free slots':>10}"
    print(header)
    print("-" * len(header))
    for s in results.slots:
        print(f"{results.label:<18} {s.what:<26} {s.median_ms:>10.1f} {s.slots:>10,}")
    print()
    header = (
        f"{'database':<18} {'run':<22} {'threads':>7} {'requests':>8} {'requests/s':>10} "
        f"{'bookings/s':>10} {'booked':>6} {'just taken':>10} {'queries/request':>15}"
    )
    print(header)
    print("-" * len(header))
    for r in results.races:
        print(
            f"{results.label:<18} {r.name:<22} {r.threads:>7} {r.requests:>8} "
            f"{r.requests / r.seconds:>10.1f} {r.outcomes['booked'] / r.seconds:>10.1f} "
            f"{r.outcomes['booked']:>6} {r.outcomes['just_taken']:>10} "
            f"{r.queries / r.requests:>15.1f}"
        )


if __name__ == "__main__":
    main()
