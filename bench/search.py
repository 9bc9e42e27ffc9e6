#!/usr/bin/env python
"""How fast are the listing and search pages with a large catalogue?

    .venv/bin/python bench/search.py                      # SQLite and PostgreSQL, 200,000 providers
    .venv/bin/python bench/search.py --only sqlite --providers 20000
    .venv/bin/python bench/search.py --force              # seed again even if already seeded

For each database the script makes (once) a catalogue with `seed_demo --providers N`
(200,000 providers ≈ 400,000 offerings): SQLite in var/bench/search-<N>.sqlite3,
PostgreSQL in the database `aizuchi_bench_search` on --database-url's server. A database
already seeded with the same N is reused (--force seeds again). Then it starts the real
ASGI server (uvicorn, one process, on 127.0.0.1) and requests the listing and search
pages: a set of realistic queries (two-character words such as 恋愛 仕事 傾聴, longer
phrases, several words, filters, sorts, deep pages). "cold" is the first request of each
URL after the server started; "warm" repeats each URL --repeat times. It prints p50/p95
latency (ms, whole request as the client sees it), the number of results, and the size
of the database on disk.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent

BENCH_DATABASE = "aizuchi_bench_search"
MB = 1024 * 1024

# (label, query parameters): what people do on the page.
LISTING = [
    ("listing", {}),
    ("listing, sort=rank", {"sort": "rank"}),
    ("listing, sort=rating", {"sort": "rating"}),
    ("listing, sort=price", {"sort": "price"}),
    ("listing, sort=newest", {"sort": "newest"}),
    ("listing, category=renai", {"category": "renai"}),
    ("listing, voice ≤ ¥100", {"channel": "voice", "price_max": "100"}),
    ("listing, online now", {"online": "on"}),
    ("listing, newcomers now, by rating", {"newcomers": "on", "sort": "rating"}),
    ("listing, page 50", {"page": "50"}),
    ("listing, page 100, by price", {"page": "100", "sort": "price"}),
]
SEARCH = [
    ("q=恋愛", {"q": "恋愛"}),
    ("q=仕事", {"q": "仕事"}),
    ("q=傾聴", {"q": "傾聴"}),
    ("q=介護", {"q": "介護"}),
    ("q=猫 (one character)", {"q": "猫"}),
    ("q=カウンセラー", {"q": "カウンセラー"}),
    ("q=話し相手", {"q": "話し相手"}),
    ("q=マッチングアプリ", {"q": "マッチングアプリ"}),
    ("q=転職 相談 (two words)", {"q": "転職 相談"}),
    ("q=大丈夫 (very common)", {"q": "大丈夫"}),
    ("q=ＨＳＰ (full width)", {"q": "ＨＳＰ"}),
    ("q=量子力学 (no match)", {"q": "量子力学"}),
    ("q=恋愛, chat ≤ ¥80", {"q": "恋愛", "channel": "chat", "price_max": "80"}),
    ("q=傾聴, online now", {"q": "傾聴", "online": "on"}),
    ("q=仕事, by price", {"q": "仕事", "sort": "price"}),
    ("q=大丈夫, newest", {"q": "大丈夫", "sort": "newest"}),
    ("q=話, by rating, page 20", {"q": "話", "sort": "rating", "page": "20"}),
    ("q=仕事, page 50", {"q": "仕事", "page": "50"}),
]


@dataclass
class Database:
    label: str
    env: dict[str, str]
    provider_count: Callable[[], int]
    size_bytes: Callable[[], int]
    analyze: Callable[[], None]
    reset: Callable[[], None]


def sqlite_database(providers: int) -> Database:
    directory = ROOT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"search-{providers}.sqlite3"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(path)

    def provider_count() -> int:
        if not path.exists():
            return -1
        try:
            with connect() as db:
                return db.execute("SELECT count(*) FROM storefront_provider").fetchone()[0]
        except sqlite3.DatabaseError:
            return -1

    def size_bytes() -> int:
        with connect() as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(p.stat().st_size for p in directory.glob(path.name + "*"))

    def analyze() -> None:
        with connect() as db:
            db.execute("ANALYZE")
            db.execute(
                "INSERT INTO storefront_search_fts(storefront_search_fts) VALUES ('optimize')"
            )

    def reset() -> None:
        for p in directory.glob(path.name + "*"):
            p.unlink()

    return Database(
        label=f"SQLite {sqlite3.sqlite_version}",
        env={"DATABASE_URL": f"sqlite:///{path}"},
        provider_count=provider_count,
        size_bytes=size_bytes,
        analyze=analyze,
        reset=reset,
    )


def postgres_database(url: str) -> Database:
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path="/" + BENCH_DATABASE))

    def admin(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as db:
            db.execute(sql)

    def provider_count() -> int:
        try:
            with psycopg.connect(bench_url) as db:
                return db.execute("SELECT count(*) FROM storefront_provider").fetchone()[0]
        except psycopg.Error:
            return -1

    def size_bytes() -> int:
        with psycopg.connect(bench_url) as db:
            return db.execute("SELECT pg_database_size(current_database())").fetchone()[0]

    def analyze() -> None:
        with psycopg.connect(bench_url, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")

    def reset() -> None:
        admin(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin(f"CREATE DATABASE {BENCH_DATABASE} ENCODING 'UTF8' TEMPLATE template0")

    with psycopg.connect(admin_url) as db:
        version = db.execute("SHOW server_version").fetchone()[0]
    return Database(
        label=f"PostgreSQL {version.split()[0]}",
        env={"DATABASE_URL": bench_url},
        provider_count=provider_count,
        size_bytes=size_bytes,
        analyze=analyze,
        reset=reset,
    )


def base_env(database: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AIZUCHI_SQLITE_PATH")}
    env.update(database.env)
    # The test settings: DEBUG off, no TLS redirect; what a real request costs.
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def ensure_seeded(database: Database, providers: int, force: bool) -> None:
    expected = providers + 1  # plus the demo login's storefront
    if not force and database.provider_count() == expected:
        print(f"  {database.label}: already seeded with {providers:,} providers")
        return
    database.reset()
    env = base_env(database)
    started = time.perf_counter()
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    out = manage(env, "seed_demo", "--providers", str(providers), "--customers", "20")
    seconds = time.perf_counter() - started
    summary = out.splitlines()[1] if len(out.splitlines()) > 1 else out
    print(f"  {database.label}: migrate + seed_demo in {seconds:.0f} s")
    print(f"    {summary}")
    started = time.perf_counter()
    database.analyze()
    print(f"    analyze/optimize: {time.perf_counter() - started:.1f} s")


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        sys.path.insert(0, str(ROOT))
        from aizuchi.core.testing import server_argv

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(ROOT / "var" / "bench" / "search-server.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 (fixed argv)
            server_argv(self.port, lifespan=False),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit("server exited early; see var/bench/search-server.log")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        sys.exit("server did not start; see var/bench/search-server.log")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(database: Database, repeat: int, verbose: bool) -> dict[str, dict[str, list[float]]]:
    server = Server(base_env(database))
    results: dict[str, dict[str, list[float]]] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            client.get("/healthz")
            for group, cases in (("listing", LISTING), ("search", SEARCH)):
                cold: list[float] = []
                warm: list[float] = []
                for label, params in cases:
                    url = "/providers/" + ("?" + urlencode(params) if params else "")
                    samples = []
                    for _ in range(1 + repeat):
                        started = time.perf_counter()
                        response = client.get(url)
                        samples.append((time.perf_counter() - started) * 1000)
                        if response.status_code != 200:
                            sys.exit(f"{url}: HTTP {response.status_code}")
                    cold.append(samples[0])
                    warm.extend(samples[1:])
                    if verbose:
                        count = _result_count(response.text)
                        print(
                            f"    {label:<36} cold {samples[0]:7.1f} ms   warm p50 "
                            f"{statistics.median(samples[1:]):6.1f} ms   {count}"
                        )
                results[group] = {"cold": cold, "warm": warm}
    finally:
        server.stop()
    return results


def _result_count(html: str) -> str:
    marker = 'class="result-count"'
    at = html.find(marker)
    if at == -1:
        return ""
    text = html[at + len(marker) : html.find("</p>", at)]
    return " ".join(text.replace(">", " ").split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5, help="warm requests per URL")
    parser.add_argument("--force", action="store_true", help="seed again even if seeded")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--quiet", action="store_true", help="only the summary table")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server to use (database aizuchi_bench_search is created on it)",
    )
    options = parser.parse_args()

    databases = []
    if options.only != "postgres":
        databases.append(sqlite_database(options.providers))
    if options.only != "sqlite":
        databases.append(postgres_database(options.database_url))

    print(f"Catalogue: {options.providers:,} providers from seed_demo")
    rows = []
    for database in databases:
        ensure_seeded(database, options.providers, options.force)
        print(f"  {database.label}: measuring")
        results = measure(database, options.repeat, not options.quiet)
        size = database.size_bytes()
        for group in ("listing", "search"):
            for kind in ("cold", "warm"):
                values = results[group][kind]
                rows.append(
                    (
                        database.label,
                        group,
                        kind,
                        len(values),
                        statistics.median(values),
                        percentile(values, 0.95),
                        max(values),
                        size,
                    )
                )

    print()
    header = (
        f"{'database':<18} {'page':<8} {'':<5} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'size MB':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, group, kind, n, p50, p95, top, size in rows:
        print(
            f"{label:<18} {group:<8} {kind:<5} {n:>4} {p50:>8.1f} {p95:>8.1f} {top:>8.1f} "
            f"{size / MB:>9.0f}"
        )


if __name__ == "__main__":
    main()
