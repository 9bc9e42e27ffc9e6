"""The throw-away database a benchmark runs on: a new PostgreSQL database on the server of
``--database-url``, or a SQLite file under var/bench; migrated, and dropped at the end.

    with benchdb.throwaway(args.database_name, args.database_url) as label:
        results = run(...)
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def add_database_arguments(parser, name: str) -> None:
    """``--database-url`` and ``--database-name`` (default ``name``) for a benchmark."""
    parser.add_argument(
        "--database-url",
        default="",
        help="postgres://user@host:port/any — benchmark on that server (default: SQLite)",
    )
    parser.add_argument(
        "--database-name",
        default=name,
        type=database_name,
        help=f"the throw-away database (default {name}; a SQLite file var/bench/<name>.sqlite3"
        " or a PostgreSQL database): a name of one's own when other runs share the server",
    )


def database_name(text: str) -> str:
    """A name safe to drop and create: lower-case letters, digits and underscores."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", text):
        raise ValueError(f"not a plain database name: {text!r}")
    return text


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _sqlite_remove(path: Path) -> None:
    for file in path.parent.glob(path.name + "*"):  # with -wal and -shm
        file.unlink()


@contextlib.contextmanager
def throwaway(name: str, database_url: str = "") -> Iterator[str]:
    """Django set up on the test settings (DEBUG off: no query log in timed loops) against
    a fresh database called ``name``; yields a label such as "PostgreSQL 17.2"."""
    admin_url = ""
    sqlite_path = ROOT / "var" / "bench" / f"{name}.sqlite3"
    if database_url:
        parts = urlsplit(database_url)
        if parts.scheme not in ("postgres", "postgresql", "pgsql"):
            sys.exit(f"--database-url must be a postgres:// URL, not {parts.scheme}://")
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        pg_admin(admin_url, f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        os.environ.pop("AIZUCHI_SQLITE_PATH", None)
    else:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_remove(sqlite_path)
        os.environ["AIZUCHI_SQLITE_PATH"] = str(sqlite_path)
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["AIZUCHI_TASKS_BACKEND"] = "immediate"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.core.management import call_command
    from django.db import connection, connections

    try:
        call_command("migrate", verbosity=0)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                yield f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        else:
            yield f"SQLite {sqlite3.sqlite_version}"
    finally:
        connections.close_all()
        if admin_url:
            pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            _sqlite_remove(sqlite_path)


def points_bought(customer, yen: int, *, key: str) -> int:
    """Give ``customer`` ``yen`` of points the way a customer gets them: purchases through
    the manual gateway (each within the purchase limits), settled. Returns how many."""
    from django.conf import settings

    from aizuchi.billing.services import payments

    limits = settings.AIZUCHI_BILLING
    left, n = yen, 0
    while left > 0:
        amount = max(limits["POINTS_MIN_YEN"], min(left, limits["POINTS_MAX_YEN"]))
        payment = payments.points_purchase_start(
            customer=customer, amount_yen=amount, gateway_code="manual", key=f"{key}-{n:03d}"
        )
        payments.payment_settle(payment=payment)
        left -= amount
        n += 1
    return n
