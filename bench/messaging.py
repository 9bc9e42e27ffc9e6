#!/usr/bin/env python
"""Direct messages at scale: how fast do a busy provider's inbox, a long thread and search
render, and how many messages a second are stored and delivered through the real server?

    .venv/bin/python bench/messaging.py                 # SQLite
    .venv/bin/python bench/messaging.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/messaging.py --quick         # small numbers: a smoke run

Builds a throw-away database (SQLite: a file under a temporary directory; PostgreSQL: a new
database `aizuchi_bench_messaging` on --database-url's server, dropped at the end) and
bulk-inserts one provider with --threads threads (default 10,000, one per customer) and
--messages messages (default 1,000,000): one long thread of --long (default 100,000) and
the rest spread over the others, both sides writing, Japanese text folded for search as the
service folds it; a fifth of the threads have unread messages.

1. Pages, in this process through Django's test client (the views, selectors, templates
   and the page shell's context processor; no network): the provider's inbox (first page
   and the unread filter), the long thread (its latest messages, and a page from its
   middle), a customer's inbox, and search in the provider's messages for a common
   two-character word, a rare one and one that is nowhere. Each --repeat times after a
   warm-up; prints p50 and p95 in ms.
2. Through the real server (uvicorn as `make serve` runs it, the per-socket and per-person
   send limits lifted: they are a policy, not capacity): --pairs customers each with their
   thread's socket open (`/ws/messages/?thread=…`) and the provider with one socket, every
   customer keeping --window messages in flight for --duration seconds. Prints messages
   stored (acknowledged) and delivered to the provider per second, and the latency from
   sending to the provider's `message.created`; checks every acknowledged message is a row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import benchdb

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "aizuchi_bench_messaging"
BATCH = 10_000

SETTINGS_MODULE = "aizuchi_bench_messaging_settings"
SETTINGS_SOURCE = textwrap.dedent(
    """
    # Written by bench/messaging.py: the test settings (DEBUG off), limits lifted.
    from config.settings.test import *  # noqa: F403
    from config.settings.test import AIZUCHI_MESSAGING, AIZUCHI_REALTIME

    AIZUCHI_REALTIME = {
        **AIZUCHI_REALTIME,
        "SOCKET_RATES": dict.fromkeys(AIZUCHI_REALTIME["SOCKET_RATES"], (10**9, 10**9)),
    }
    AIZUCHI_MESSAGING = {**AIZUCHI_MESSAGING, "SEND_RATES": [[10**9, 60]]}
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]  # the pages, through Client
    """
)

PHRASES = [
    "こんばんは",
    "今日は仕事で少し疲れてしまって",
    "話を聞いてもらえますか",
    "ありがとうございます",
    "また来週お話ししたいです",
    "眠れない夜が続いています",
    "恋愛のことで相談があります",
    "ゆっくりで大丈夫ですよ",
    "家族とのことが気になっていて",
    "先日はありがとうございました",
    "少し気持ちが軽くなりました",
    "ＨＳＰについて聞きたいです",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--long", type=int, default=100_000, help="messages in the long thread")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=100, help="customers sending at once")
    parser.add_argument("--window", type=int, default=2, help="messages in flight per customer")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.threads, args.messages, args.long = 500, 20_000, 5_000
        args.repeat, args.pairs, args.duration = 10, 20, 5.0

    work = Path(tempfile.mkdtemp(prefix="aizuchi-messaging-bench-"))
    (work / f"{SETTINGS_MODULE}.py").write_text(SETTINGS_SOURCE)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    if args.database_url:
        parts = urlsplit(args.database_url)
        if parts.scheme not in ("postgres", "postgresql", "pgsql"):
            sys.exit("--database-url must be a postgres:// URL")
        benchdb.pg_admin(
            args.database_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"
        )
        benchdb.pg_admin(args.database_url, f"CREATE DATABASE {BENCH_DATABASE}")
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
    else:
        env["AIZUCHI_SQLITE_PATH"] = str(work / "bench.sqlite3")
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": os.pathsep.join([str(work), str(ROOT)]),
            "AIZUCHI_TASKS_BACKEND": "immediate",
            "AIZUCHI_PRIVATE_MEDIA_ROOT": str(work / "private"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.clear()
    os.environ.update(env)
    sys.path[:0] = [str(work), str(ROOT)]
    import logging
    import warnings

    import django

    django.setup()
    logging.disable(logging.INFO)
    # WhiteNoise serves from the finders until collectstatic has filled STATIC_ROOT.
    warnings.filterwarnings("ignore", message="No directory at")
    try:
        run(args, env, work)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url:
            benchdb.pg_admin(
                args.database_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"
            )
        shutil.rmtree(work, ignore_errors=True)


def label() -> str:
    import sqlite3

    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return f"SQLite {sqlite3.sqlite_version}"


# --- the data ---------------------------------------------------------------------------------


def build(args) -> dict:
    """One provider, a customer and a thread per --threads, --messages messages."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from aizuchi.access.models import MessagePolicy
    from aizuchi.accounts.models import User
    from aizuchi.messaging import search
    from aizuchi.messaging.models import Message, Thread
    from aizuchi.storefront.models import Provider
    from aizuchi.storefront.selectors.query import normalize

    rng = random.Random(7)
    password = make_password(None)
    if connection.vendor == "postgresql":  # the search index is built once, after the load
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX messaging_message_keys_gin")
    owner = User.objects.create(email="provider@bench.example", password=password)
    provider = Provider.objects.create(
        user=owner, display_name="聞き手", concept="ゆっくり聞きます"
    )
    for audience in MessagePolicy.Audience.values:  # everyone may write freely, for the load
        MessagePolicy.objects.create(
            provider=provider,
            audience=audience,
            mode="free",
            free_count=32_000,
            free_period="total",
            max_length=2000,
        )
    User.objects.bulk_create(
        [
            User(email=f"c{i}@bench.example", display_name=f"お客{i}", password=password)
            for i in range(args.threads)
        ],
        batch_size=BATCH,
    )
    customers = list(User.objects.filter(email__startswith="c").order_by("pk"))
    start = timezone.now() - timezone.timedelta(days=365)
    Thread.objects.bulk_create(
        [Thread(provider=provider, customer=c, created_at=start) for c in customers],
        batch_size=BATCH,
    )
    threads = list(Thread.objects.filter(provider=provider).order_by("pk"))
    long_thread = threads[0]
    # Counts per thread: the long one, the rest spread evenly with some jitter.
    rest = args.messages - args.long
    per = [args.long] + [rest // (len(threads) - 1)] * (len(threads) - 1)
    for _ in range(rest - sum(per[1:])):
        per[rng.randrange(1, len(per))] += 1
    # Messages go in in time order across threads, as they would arrive.
    order = [i for i, n in enumerate(per) for _ in range(n)]
    rng.shuffle(order)
    step = timezone.timedelta(days=365) / max(1, len(order))
    last: dict[int, tuple] = {}
    batch: list = []

    def flush() -> None:
        with transaction.atomic():
            made = Message.objects.bulk_create(batch)
            search.index_add([(m.pk, m.text, provider.pk, m.thread.customer_id) for m in made])
        for message in made:
            last[message.thread_id] = (message.pk, message.created_at, message.sender, message.text)
        batch.clear()

    for n, index in enumerate(order):
        thread = threads[index]
        text = "。".join(rng.sample(PHRASES, rng.randint(1, 3)))
        sender = "customer" if rng.random() < 0.6 else "provider"
        batch.append(
            Message(
                thread=thread,
                sender=sender,
                author_id=thread.customer_id if sender == "customer" else owner.pk,
                text=text,
                folded=normalize(text),
                client_id=f"b{n}",
                created_at=start + step * n,
                free=sender == "customer",
            )
        )
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    for index, thread in enumerate(threads):
        pk, at, sender, text = last[thread.pk]
        thread.last_message_id, thread.last_message_at = pk, at
        thread.last_sender, thread.last_preview = sender, text[:100]
        thread.customer_read_id = pk
        unread = index > 0 and rng.random() < 0.2
        thread.provider_unread = rng.randint(1, 3) if unread else 0
        thread.provider_read_id = 0 if unread else pk
    Thread.objects.bulk_update(
        threads,
        [
            "last_message_id",
            "last_message_at",
            "last_sender",
            "last_preview",
            "customer_read_id",
            "provider_read_id",
            "provider_unread",
        ],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute(
                "CREATE INDEX messaging_message_keys_gin ON messaging_message"
                " USING gin (messaging_message_keys(folded))"
            )
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    middle = Message.objects.filter(thread=long_thread).order_by("pk").values_list("pk", flat=True)
    middle_id = middle[args.long // 2]
    return {
        "provider": provider,
        "owner": owner,
        "customers": customers,
        "threads": threads,
        "long": long_thread,
        "middle_id": middle_id,
    }


# --- pages ------------------------------------------------------------------------------------


def timed(client, url: str, repeat: int) -> tuple[float, float, int]:
    response = client.get(url)  # warm-up
    status = response.status_code
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        status = max(status, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95, status


def pages(world: dict, repeat: int) -> list[tuple[str, float, float, int, str]]:
    from django.test import Client
    from django.urls import reverse

    owner = Client()
    owner.force_login(world["owner"])
    customer = Client()
    customer.force_login(world["customers"][1])
    thread_url = reverse("messaging:thread", args=[world["long"].pk])
    inbox = reverse("messaging:provider_inbox")
    rows = []
    for name, client, url, note in (
        ("provider inbox", owner, inbox, "target"),
        ("provider inbox, unread", owner, inbox + "?unread=1", "target"),
        ("long thread, latest", owner, thread_url, "target"),
        (
            "long thread, a middle page",
            owner,
            f"{thread_url}?before={world['middle_id']}",
            "target",
        ),
        ("customer inbox", customer, reverse("messaging:inbox"), "target"),
        ("search: common 2-char word", owner, inbox + "?q=仕事", ""),
        ("search: rare word", owner, inbox + "?q=ＨＳＰについて", ""),
        ("search: nowhere", owner, inbox + "?q=見つからない言葉", ""),
    ):
        p50, p95, status = timed(client, url, repeat)
        rows.append((name, p50, p95, status, note))
    return rows


# --- through the server -----------------------------------------------------------------------


def cookies(users) -> list[str]:
    """Login cookies (the rows Client.force_login writes), in bulk."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = SessionStore()
    model = SessionStore.get_model_class()
    expires = timezone.now() + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys, rows = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(model(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys.append(key)
    model.objects.bulk_create(rows, batch_size=2000)
    return keys


def serve(env: dict, work: Path) -> tuple[subprocess.Popen, int]:
    from urllib.request import urlopen

    from aizuchi.core.testing import free_port, server_argv

    port = free_port()
    log = (work / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 (fixed argv)
        server_argv(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server did not start:\n{(work / 'server.log').read_text()}")


async def load(port: int, cookie_name: str, owner_cookie: str, pairs: list, args) -> dict:
    """The customers send, each keeping --window in flight; the provider's socket hears."""
    from websockets.asyncio.client import connect

    origin = f"http://127.0.0.1:{port}"
    counts: Counter = Counter()
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    acked: list[int] = []
    end = [float("inf")]

    async def open_socket(path: str, cookie: str):
        ws = await connect(
            f"ws://127.0.0.1:{port}{path}",
            additional_headers={"Cookie": f"{cookie_name}={cookie}", "Origin": origin},
            ping_interval=None,
            open_timeout=60,
            max_size=2**22,
        )
        state = json.loads(await ws.recv())
        assert state["type"] == "messages.state", state
        return ws

    provider = await open_socket("/ws/messages/", owner_cookie)

    async def provider_reader() -> None:
        async for raw in provider:
            at = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") == "message.created":
                sent = sent_at.pop(message["message"]["client_id"], None)
                if sent is not None and at <= end[0]:
                    latencies.append((at - sent) * 1000)
                    counts["delivered"] += 1

    async def customer(thread_id: int, cookie: str, index: int) -> None:
        ws = await open_socket(f"/ws/messages/?thread={thread_id}", cookie)
        window = asyncio.Semaphore(args.window)
        n = 0

        async def reader() -> None:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "message.ack":
                    if time.perf_counter() <= end[0]:
                        counts["acked"] += 1
                    acked.append(message["id"])
                    window.release()
                elif kind == "error":
                    counts[f"error_{message.get('code')}"] += 1
                    window.release()

        task = asyncio.create_task(reader())
        while time.perf_counter() < end[0]:
            await window.acquire()
            n += 1
            client_id = f"l{index}n{n}"
            sent_at[client_id] = time.perf_counter()
            await ws.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "thread_id": thread_id,
                        "client_id": client_id,
                        "text": f"計測中のメッセージ {n}",
                    }
                )
            )
        await asyncio.sleep(2)  # let the last answers arrive
        task.cancel()
        await ws.close()

    hearing = asyncio.create_task(provider_reader())
    started = time.perf_counter()
    end[0] = started + args.duration
    await asyncio.gather(
        *(customer(thread_id, cookie, i) for i, (thread_id, cookie) in enumerate(pairs))
    )
    hearing.cancel()
    await provider.close()
    counts["seconds"] = args.duration
    return {"counts": counts, "latencies": sorted(latencies), "acked": acked}


def throughput(world: dict, env: dict, work: Path, args) -> dict:
    from django.conf import settings
    from django.db import connections

    from aizuchi.messaging.models import Message

    pairs = world["threads"][1 : args.pairs + 1]
    keys = cookies([world["owner"], *[t.customer for t in pairs]])
    connections.close_all()
    process, port = serve(env, work)
    try:
        result = asyncio.run(
            load(
                port,
                settings.SESSION_COOKIE_NAME,
                keys[0],
                [(t.pk, key) for t, key in zip(pairs, keys[1:], strict=True)],
                args,
            )
        )
    finally:
        process.terminate()
        process.wait(timeout=20)
    stored = Message.objects.filter(pk__in=result["acked"]).count()
    result["stored_rows"] = stored
    return result


def run(args, env: dict, work: Path) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    name = label()
    started = time.monotonic()
    world = build(args)
    built = time.monotonic() - started
    print(
        f"\n{name}: 1 provider, {len(world['threads']):,} threads, {args.messages:,} messages "
        f"(the long thread {args.long:,}) built in {built:.0f} s"
    )
    print(f"\n  {'page':<34} {'p50 ms':>8} {'p95 ms':>8}  status")
    for page, p50, p95, status, note in pages(world, args.repeat):
        mark = "  (< 100 ms)" if note and p95 < 100 else ("  (OVER 100 ms)" if note else "")
        print(f"  {page:<34} {p50:8.1f} {p95:8.1f}  {status}{mark}")
    result = throughput(world, env, work, args)
    counts, latencies = result["counts"], result["latencies"]
    seconds = counts["seconds"]

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    errors = {k: v for k, v in counts.items() if k.startswith("error_")}
    print(
        f"\n  through the real server ({args.pairs} customers, {args.window} in flight each, "
        f"{seconds:.0f} s):\n"
        f"    stored {counts['acked'] / seconds:,.0f} messages/s, delivered to the provider "
        f"{counts['delivered'] / seconds:,.0f}/s; delivery p50 {pct(0.5):.0f} ms, "
        f"p95 {pct(0.95):.0f} ms\n"
        f"    every acknowledged message a row: {result['stored_rows'] == len(result['acked'])}"
        f" ({result['stored_rows']:,}){'; errors ' + str(errors) if errors else ''}"
    )


if __name__ == "__main__":
    main()
