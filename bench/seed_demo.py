#!/usr/bin/env python
"""How fast does `manage.py seed_demo` fill a fresh database?

    .venv/bin/python bench/seed_demo.py                      # 400,000 providers, SQLite
    .venv/bin/python bench/seed_demo.py --providers 50000
    .venv/bin/python bench/seed_demo.py --database-url postgres://postgres@127.0.0.1:5432/postgres

SQLite (default): a new database file in a temporary directory. PostgreSQL: the server
named by --database-url gets a new database `aizuchi_bench` (dropped first if a previous
run left it behind, and dropped again at the end). Either way the script runs `migrate`,
then times `seed_demo` in a subprocess, the way a developer would run it, and prints
the wall-clock seconds, rows per second and the size of the database.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "aizuchi_bench"
# The tables seed_demo fills (users, allauth e-mail addresses, storefronts, categories).
TABLES = (
    "accounts_user",
    "account_emailaddress",
    "storefront_provider",
    "storefront_provider_categories",
)
MB = 1024 * 1024


@dataclass
class Database:
    """A throw-away database: the environment that points Django at it, and how to measure it."""

    label: str
    env: dict[str, str]
    count_rows: Callable[[], int]  # rows in TABLES
    size_bytes: Callable[[], int]


@contextmanager
def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="aizuchi-bench-") as directory:
        path = Path(directory) / "bench.sqlite3"

        def count_rows() -> int:
            with sqlite3.connect(path) as db:
                return sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)  # noqa: S608

        def size_bytes() -> int:
            # Fold the write-ahead log back into the main file so the size is final.
            with sqlite3.connect(path) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return sum(p.stat().st_size for p in Path(directory).iterdir())

        yield Database(
            label=f"SQLite ({path})",
            env={"AIZUCHI_SQLITE_PATH": str(path)},
            count_rows=count_rows,
            size_bytes=size_bytes,
        )
    # TemporaryDirectory removes the database, its -wal and -shm files.


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    import psycopg  # only needed for this backend

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"--database-url must be a postgres:// URL, not {parts.scheme}://")
    # Administer from the maintenance database; seed into aizuchi_bench on the same server.
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path="/" + BENCH_DATABASE))

    def admin(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as db:
            db.execute(sql)

    def count_rows() -> int:
        with psycopg.connect(bench_url) as db:
            return sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)  # noqa: S608

    def size_bytes() -> int:
        with psycopg.connect(bench_url) as db:
            return db.execute("SELECT pg_database_size(current_database())").fetchone()[0]

    admin(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        yield Database(
            label=f"PostgreSQL ({parts.hostname}:{parts.port or 5432}/{BENCH_DATABASE})",
            env={"DATABASE_URL": bench_url},
            count_rows=count_rows,
            size_bytes=size_bytes,
        )
    finally:
        admin(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", type=int, default=400_000)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument(
        "--database-url",
        default="",
        help="postgres://user@host:port/any — benchmark on that server (default: SQLite)",
    )
    options = parser.parse_args()

    database = (
        postgres_database(options.database_url) if options.database_url else sqlite_database()
    )
    with database as db:
        # The developer settings (manage.py's default) against the throw-away database.
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "AIZUCHI_SQLITE_PATH")
        }
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        env.update(db.env)

        print(f"Database: {db.label}")
        started = time.perf_counter()
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        print(f"migrate: {time.perf_counter() - started:.1f} s")

        rows_before = db.count_rows()
        started = time.perf_counter()
        result = manage(
            env,
            "seed_demo",
            "--providers",
            str(options.providers),
            "--customers",
            str(options.customers),
            "--seed",
            str(options.seed),
            "--batch-size",
            str(options.batch_size),
        )
        seconds = time.perf_counter() - started
        rows = db.count_rows() - rows_before
        size = db.size_bytes()

        # The command's own summary (first lines; the demo-login block is left out).
        for line in result.stdout.splitlines()[:2]:
            print(f"  seed_demo: {line}")
        print(f"providers:    {options.providers:,}")
        print(f"rows:         {rows:,}")
        print(f"seconds:      {seconds:.1f}  (seed_demo process, wall clock)")
        print(f"rows/second:  {rows / seconds:,.0f}")
        print(f"database:     {size / MB:,.1f} MB")


if __name__ == "__main__":
    main()
