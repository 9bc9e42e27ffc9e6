#!/usr/bin/env python
"""Live chat through the real server: how many messages a second, how fast, at what memory?

    .venv/bin/python bench/live_chat.py                          # SQLite, one server process
    .venv/bin/python bench/live_chat.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/live_chat.py --database-url postgres://... --redis   # two processes
    .venv/bin/python bench/live_chat.py --sessions 200 --duration 20 --mode target
    .venv/bin/python bench/live_chat.py --saturate                 # only the saturation runs

Builds a throw-away database (a temporary SQLite file, or a new PostgreSQL database
`aizuchi_bench_live_chat` on --database-url's server, dropped at the end), migrates, and
makes N providers with a postpaid chat offering without a cap (so no hold and no limit can
end a session during the run), N customers, and N sessions rung and answered through the
services (`session_request`, `session_accept`); then a login cookie per person (the rows
`force_login` writes). It starts the real server (uvicorn, `--lifespan on`, the test
settings: DEBUG off; one process, or with --redis two processes over Redis with the
customers on one and the providers on the other) and runs the load client in separate OS
processes: 2N WebSockets on `/ws/sessions/<id>/`, each side sending
`{"type": "chat.send"}` every --interval seconds (with its send time in the text) and
`{"type": "ping"}` every --ping seconds. Delivery latency is send → `chat.message` at the
*other* side. Then the same client against a bare relay (a minimal `websockets` server in
one asyncio process that passes each message to the paired socket).

Runs (--mode all): the target load on the server and on the bare relay, then the
saturation runs (--saturate-sessions sessions, each socket keeping --window messages in
flight, the per-socket rate limit lifted) on both, and prints one table with the
server/bare ratios. After every server run it checks that each delivered message is a
row in live_message. CPU columns are % of one core over the measured window (2 cores =
200 %); "pg" is every postgres process of the cluster.

The bench settings also stretch CONNECT_SECONDS and the disconnect grace to an hour: the
sessions are answered long before their sockets connect (setup takes minutes at N=2,000)
and stay idle between runs, and the meter must not end them meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import benchdb

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "aizuchi_bench_live_chat"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
BATCH = 2000
MB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")

SETTINGS_MODULE = "aizuchi_bench_live_settings"
SETTINGS_SOURCE = textwrap.dedent(
    """
    # Written by bench/live_chat.py: the test settings (DEBUG off) with the bench's timings.
    import os

    from config.settings.test import *  # noqa: F403
    from config.settings.test import AIZUCHI_LIVE, AIZUCHI_REALTIME, CHANNEL_LAYERS

    AIZUCHI_LIVE = {**AIZUCHI_LIVE, "CONNECT_SECONDS": 3600, "GRACE_SECONDS": 3600}
    if os.environ.get("AIZUCHI_BENCH_SWITCH_INTERVAL"):  # experiments only
        import sys

        sys.setswitchinterval(float(os.environ["AIZUCHI_BENCH_SWITCH_INTERVAL"]))
    if os.environ.get("AIZUCHI_BENCH_METER_TICK"):  # experiments only
        AIZUCHI_LIVE["METER_TICK_SECONDS"] = float(os.environ["AIZUCHI_BENCH_METER_TICK"])
    if os.environ.get("AIZUCHI_BENCH_LAYER"):  # experiments only
        CHANNEL_LAYERS["default"]["BACKEND"] = os.environ["AIZUCHI_BENCH_LAYER"]
    if os.environ.get("AIZUCHI_BENCH_UNLIMITED"):
        # Saturation runs: the per-socket rate limits are a policy, not capacity.
        AIZUCHI_REALTIME = {
            **AIZUCHI_REALTIME,
            "SOCKET_RATES": dict.fromkeys(AIZUCHI_REALTIME["SOCKET_RATES"], (10**9, 10**9)),
        }
    """
)


# --- the parent: database, data, servers, runs, the table ----------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=2000, help="sessions at the target load")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between messages")
    parser.add_argument("--ping", type=float, default=10.0, help="seconds between pings")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds per run")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis", action="store_true", help="two server processes over Redis")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--mode", choices=("all", "target", "saturate"), default="all")
    parser.add_argument(
        "--saturate", action="store_const", const="saturate", dest="mode", help="saturation only"
    )
    parser.add_argument("--saturate-sessions", type=int, default=100)
    parser.add_argument("--saturate-duration", type=float, default=20.0)
    parser.add_argument("--window", type=int, default=4, help="messages in flight per socket")
    parser.add_argument("--clients", type=int, default=1, help="client processes, target load")
    parser.add_argument(
        "--saturate-clients", type=int, default=1, help="client processes, saturation"
    )
    parser.add_argument("--only", choices=("server", "bare"), default=None)
    parser.add_argument("--profile", default="", help="py-spy: write server profiles here")
    parser.add_argument("--profile-flags", default="", help='more py-spy flags, e.g. "--gil"')
    parser.add_argument("--keep-logs", action="store_true")
    # internal: the client and the bare relay run as their own processes
    parser.add_argument("--role", choices=("main", "client", "relay"), default="main")
    parser.add_argument("--spec", default="")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.role == "client":
        return client_main(args.spec)
    if args.role == "relay":
        return relay_main(args.port)

    work = Path(tempfile.mkdtemp(prefix="aizuchi-live-bench-"))
    (work / f"{SETTINGS_MODULE}.py").write_text(SETTINGS_SOURCE)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    if args.database_url:
        parts = urlsplit(args.database_url)
        benchdb.pg_admin(
            args.database_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"
        )
        benchdb.pg_admin(args.database_url, f"CREATE DATABASE {BENCH_DATABASE}")
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
        label = "PostgreSQL"
    else:
        env["AIZUCHI_SQLITE_PATH"] = str(work / "bench.sqlite3")
        label = "SQLite"
    if args.redis:
        env["REDIS_URL"] = args.redis_url
        label += " + Redis, 2 processes"
    else:
        label += ", 1 process"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": os.pathsep.join([str(work), str(ROOT)]),
            "AIZUCHI_TASKS_BACKEND": "immediate",
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.clear()
    os.environ.update(env)
    sys.path[:0] = [str(work), str(ROOT)]
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    try:
        Bench(args, env, work, label).run()
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url:
            benchdb.pg_admin(
                args.database_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"
            )
        if args.keep_logs:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def build(n: int) -> list[dict]:
    """N answered chat sessions and a login cookie for each side; returns their specs."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from aizuchi.accounts.models import User
    from aizuchi.live.services import sessions
    from aizuchi.presence.services import presence_set
    from aizuchi.storefront.models import Offering, Provider

    password = make_password(None)
    with transaction.atomic():
        User.objects.bulk_create(
            [User(email=f"c{i}@bench.example", password=password) for i in range(n)]
            + [User(email=f"p{i}@bench.example", password=password) for i in range(n)],
            batch_size=BATCH,
        )
        customers = list(User.objects.filter(email__startswith="c").order_by("pk"))
        provider_users = list(User.objects.filter(email__startswith="p").order_by("pk"))
        Provider.objects.bulk_create(
            [
                Provider(user=u, display_name=f"聞き手{i}", concept="ゆっくり聞きます")
                for i, u in enumerate(provider_users)
            ],
            batch_size=BATCH,
        )
        providers = list(Provider.objects.select_related("user").order_by("user_id"))
        Offering.objects.bulk_create(
            [
                Offering(
                    provider=p,
                    channel=Offering.Channel.CHAT,
                    price_per_minute=100,
                    payment=Offering.Payment.POSTPAID,
                )
                for p in providers
            ],
            batch_size=BATCH,
        )
    offerings = dict(Offering.objects.values_list("provider_id", "pk"))
    specs = []
    for start in range(0, n, 100):
        with transaction.atomic():
            for customer, provider in zip(
                customers[start : start + 100], providers[start : start + 100], strict=True
            ):
                presence_set(provider=provider, state="open")
                session = sessions.session_request(
                    customer=customer, offering_id=offerings[provider.pk]
                )
                sessions.session_accept(user=provider.user, session_id=session.pk)
                specs.append({"id": session.pk, "customer": customer, "provider": provider.user})
    # The login cookies: the rows Client.force_login writes, in bulk.
    store = SessionStore()
    model = SessionStore.get_model_class()
    expires = timezone.now() + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows = []
    for spec in specs:
        for side in ("customer", "provider"):
            user = spec[side]
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            rows.append(
                model(session_key=key, session_data=store.encode(data), expire_date=expires)
            )
            spec[side] = key
    model.objects.bulk_create(rows, batch_size=BATCH)
    return specs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def pids_named(name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == name:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine so far."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Process:
    """A server (uvicorn) or the bare relay, on 127.0.0.1."""

    def __init__(self, argv: list[str], env: dict, log: Path, port: int) -> None:
        self.port, self.log_path = port, log
        self.log = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (fixed argv)
            argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.log_path.name} exited early:\n{self.log_path.read_text()[-3000:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                time.sleep(0.5)  # the lifespan (first meter sweep) has run once it listens
                return
            time.sleep(0.1)
        sys.exit(f"{self.log_path.name} did not start")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.log_path.read_text(errors="replace")


class Bench:
    def __init__(self, args, env: dict, work: Path, label: str) -> None:
        self.args, self.env, self.work, self.label = args, env, work, label
        self.rows: list[dict] = []
        from django.conf import settings

        self.cookie_name = settings.SESSION_COOKIE_NAME

    def run(self) -> None:
        from django.core.management import call_command
        from django.db import connections

        a = self.args
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        n = a.sessions if a.mode != "saturate" else a.saturate_sessions
        self.specs = build(max(n, a.saturate_sessions))
        connections.close_all()
        print(
            f"{self.label}: {len(self.specs):,} answered sessions and their login cookies "
            f"built in {time.monotonic() - started:.0f} s; load avg {os.getloadavg()[0]:.2f}"
        )
        kinds = [k for k in ("server", "bare") if a.only in (None, k)]
        if a.mode in ("all", "target"):
            for kind in kinds:
                self.rows.append(self.scenario(kind, "target", self.specs[: a.sessions], a.clients))
        if a.mode in ("all", "saturate"):
            for kind in kinds:
                self.rows.append(
                    self.scenario(
                        kind, "saturate", self.specs[: a.saturate_sessions], a.saturate_clients
                    )
                )
        self.table()

    # --- one run --------------------------------------------------------------------------

    def start_servers(self, kind: str, mode: str, tag: str) -> list[Process]:
        from aizuchi.core.testing import server_argv

        env = dict(self.env)
        if mode == "saturate":
            env["AIZUCHI_BENCH_UNLIMITED"] = "1"
        if kind == "bare":
            port = free_port()
            argv = [sys.executable, __file__, "--role", "relay", "--port", str(port)]
            procs = [Process(argv, env, self.work / f"{tag}-relay.log", port)]
        else:
            procs = []
            for i in range(2 if self.args.redis else 1):
                port = free_port()
                argv = server_argv(port)
                procs.append(Process(argv, env, self.work / f"{tag}-server{i}.log", port))
        for proc in procs:
            proc.wait_until_up()
        return procs

    def scenario(self, kind: str, mode: str, specs: list[dict], n_clients: int) -> dict:
        a = self.args
        tag = f"{kind[0]}{mode[0]}{int(time.time()) % 100000}"
        duration = a.duration if mode == "target" else a.saturate_duration
        procs = self.start_servers(kind, mode, tag)
        pids = [p.pid for p in procs]
        rss_before = sum(rss_bytes(pid) for pid in pids)
        ports = [p.port for p in procs]
        # The customers talk to the first process, the providers to the last.
        sessions = [
            {"id": s["id"], "customer": s["customer"], "provider": s["provider"]} for s in specs
        ]
        clients = []
        for c in range(n_clients):
            spec_path = self.work / f"{tag}-client{c}.json"
            spec_path.write_text(
                json.dumps(
                    {
                        "ports": [ports[0], ports[-1]],
                        "sessions": sessions[c::n_clients],
                        "mode": mode,
                        "interval": a.interval,
                        "ping": a.ping,
                        "window": a.window,
                        "tag": f"{tag}c{c}",
                        "cookie_name": self.cookie_name,
                    }
                )
            )
            clients.append(
                subprocess.Popen(  # noqa: S603 (fixed argv)
                    [sys.executable, __file__, "--role", "client", "--spec", str(spec_path)],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        connected = [json.loads(c.stdout.readline()) for c in clients]
        sockets = sum(c["ok"] for c in connected)
        connect_seconds = max(c["seconds"] for c in connected)
        time.sleep(2)  # let the meter start the sessions and the connect work settle
        rss_connected = sum(rss_bytes(pid) for pid in pids)
        t0 = time.time() + 1.0
        for c in clients:
            c.stdin.write(f"{t0} {duration}\n")
            c.stdin.flush()
        profilers = self.profile(procs, tag, duration) if a.profile else []
        time.sleep(max(0.0, t0 - time.time()))
        pg = pids_named("postgres")
        redis = pids_named("redis-server")
        client_pids = [c.pid for c in clients]
        cpu0 = {
            "server": cpu_seconds(pids),
            "pg": cpu_seconds(pg),
            "redis": cpu_seconds(redis),
            "client": cpu_seconds(client_pids),
            "machine": machine_busy(),
        }
        time.sleep(max(0.0, t0 + duration - time.time()))
        cpu1 = {
            "server": cpu_seconds(pids),
            "pg": cpu_seconds(pg),
            "redis": cpu_seconds(redis),
            "client": cpu_seconds(client_pids),
            "machine": machine_busy(),
        }
        rss_end = sum(rss_bytes(pid) for pid in pids)
        results = []
        for c in clients:
            line = c.stdout.readline()
            results.append(json.loads(line))
            c.wait()
        for p in profilers:
            p.wait()
        logs = [p.stop() for p in procs]
        cpu = {k: 100 * (cpu1[k] - cpu0[k]) / duration for k in ("server", "pg", "redis", "client")}
        busy = cpu1["machine"][0] - cpu0["machine"][0]
        total = cpu1["machine"][1] - cpu0["machine"][1]
        cpu["machine"] = 100 * os.cpu_count() * busy / max(1, total)
        # Whatever else ran on the machine meanwhile (other people's tests, say).
        cpu["other"] = max(
            0.0, cpu["machine"] - sum(cpu[k] for k in ("server", "pg", "redis", "client"))
        )
        row = self.summarise(kind, mode, specs, results, duration)
        row.update(
            sockets=sockets,
            expected=2 * len(specs),
            connect_seconds=connect_seconds,
            rss_before=rss_before,
            rss_connected=rss_connected,
            rss_end=rss_end,
            cpu=cpu,
            processes=len(procs),
        )
        server_cpu = (cpu1["server"] - cpu0["server"]) * 1000
        row["cpu_ms_per_msg"] = server_cpu / max(1, row["in_window"])
        row["persisted"] = self.check_persisted(row) if kind == "server" else None
        errors = [line for log in logs for line in log.splitlines() if "Traceback" in line]
        row["server_errors"] = len(errors)
        self.report(row)
        return row

    def profile(self, procs: list[Process], tag: str, duration: float) -> list:
        """py-spy over the measured window, one collapsed-stack file per server process
        (--profile-flags "--gil" samples only the thread holding the GIL; "--idle
        --threads" shows waiting threads too)."""
        out = Path(self.args.profile)
        out.mkdir(parents=True, exist_ok=True)
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        return [
            subprocess.Popen(  # noqa: S603 (fixed argv)
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(proc.pid),
                    "--duration",
                    str(int(duration)),
                    "--rate",
                    "100",
                    "--format",
                    "raw",
                    "--output",
                    str(out / f"{tag}-{i}.txt"),
                    "--nonblocking",
                    *self.args.profile_flags.split(),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i, proc in enumerate(procs)
        ]

    def summarise(self, kind, mode, specs, results, duration) -> dict:
        latencies = sorted(x for r in results for x in r["latencies"])
        counters = Counter()
        for r in results:
            counters.update(r["counts"])

        def pct(p: float) -> float:
            if not latencies:
                return float("nan")
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

        return {
            "kind": kind,
            "mode": mode,
            "sessions": len(specs),
            "duration": duration,
            "sent": counters["sent"],
            "delivered": counters["delivered"],
            "in_window": counters["delivered_in_window"],
            "lost": counters["lost"],
            "counts": dict(counters),
            "ids": [i for r in results for i in r["ids"]],
            "rate": counters["delivered_in_window"] / duration,
            "p50": pct(50),
            "p95": pct(95),
            "p99": pct(99),
            "max": latencies[-1] if latencies else float("nan"),
            "mean": statistics.fmean(latencies) if latencies else float("nan"),
        }

    def check_persisted(self, row: dict) -> str:
        from django.db import connections

        from aizuchi.live.models import Message

        ids = sorted(set(row["ids"]))
        found = 0
        for start in range(0, len(ids), 5000):
            found += Message.objects.filter(id__in=ids[start : start + 5000]).count()
        connections.close_all()
        return f"{found:,}/{len(ids):,}"

    def report(self, row: dict) -> None:
        c = row["counts"]
        extra = {
            k: v
            for k, v in c.items()
            if k not in ("sent", "delivered", "delivered_in_window", "lost") and v
        }
        print(
            f"  {row['kind']:6} {row['mode']:8} sessions {row['sessions']:,}: "
            f"{row['sockets']:,}/{row['expected']:,} sockets in {row['connect_seconds']:.1f} s; "
            f"sent {row['sent']:,}, delivered {row['delivered']:,}, lost {row['lost']:,}; "
            f"{row['rate']:,.0f} msg/s; p50 {row['p50']:.1f} p95 {row['p95']:.1f} "
            f"p99 {row['p99']:.1f} max {row['max']:.1f} ms; "
            f"RSS {row['rss_before'] / MB:.0f} → {row['rss_connected'] / MB:.0f} → "
            f"{row['rss_end'] / MB:.0f} MB; CPU% "
            + " ".join(f"{k} {v:.0f}" for k, v in row["cpu"].items())
            + f"; server CPU {row['cpu_ms_per_msg']:.2f} ms/msg"
            + (f"; persisted {row['persisted']}" if row["persisted"] else "")
            + (f"; server tracebacks {row['server_errors']}" if row["server_errors"] else "")
            + (f"; {extra}" if extra else ""),
            flush=True,
        )

    def table(self) -> None:
        a = self.args
        print()
        print(
            f"{self.label}; target: {a.sessions:,} sessions, a message every {a.interval:g} s "
            f"per side, ping every {a.ping:g} s, {a.duration:g} s measured; saturation: "
            f"{a.saturate_sessions} sessions, {a.window} in flight per socket, "
            f"{a.saturate_duration:g} s; load avg {os.getloadavg()[0]:.2f}"
        )
        head = (
            f"{'run':24} {'sockets':>11} {'conn s':>6} {'sent':>8} {'deliv.':>8} {'lost':>5} "
            f"{'msg/s':>7} {'p50':>6} {'p95':>6} {'p99':>7} {'max ms':>7} {'MB':>5} "
            f"{'KB/sock':>7} {'srv%':>5} {'pg%':>4} {'rds%':>4} {'cli%':>4} {'oth%':>4} "
            f"{'persisted':>15}"
        )
        print(head)
        print("-" * len(head))
        for r in self.rows:
            name = ("server" if r["kind"] == "server" else "bare relay") + (
                f" ×{r['processes']}" if r["processes"] > 1 else ""
            )
            name += ", target" if r["mode"] == "target" else f", saturated ({r['sessions']})"
            per_socket = (r["rss_connected"] - r["rss_before"]) / max(1, r["sockets"]) / 1024
            cpu = r["cpu"]
            print(
                f"{name:24} {r['sockets']:>5,}/{r['expected']:<5,} {r['connect_seconds']:>6.1f} "
                f"{r['sent']:>8,} {r['delivered']:>8,} {r['lost']:>5,} {r['rate']:>7,.0f} "
                f"{r['p50']:>6.1f} {r['p95']:>6.1f} {r['p99']:>7.1f} {r['max']:>7.0f} "
                f"{r['rss_connected'] / MB:>5.0f} {per_socket:>7.1f} {cpu['server']:>5.0f} "
                f"{cpu['pg']:>4.0f} {cpu['redis']:>4.0f} {cpu['client']:>4.0f} "
                f"{cpu['other']:>4.0f} {r['persisted'] or '-':>15}"
            )
        by = {(r["kind"], r["mode"]): r for r in self.rows}
        ratios = []
        if ("server", "saturate") in by and ("bare", "saturate") in by:
            s, b = by[("server", "saturate")], by[("bare", "saturate")]
            ratios.append(
                f"saturated throughput server/bare = {s['rate']:,.0f}/{b['rate']:,.0f} = "
                f"{s['rate'] / max(1e-9, b['rate']):.2f} (target ≥ 0.5)"
            )
        if ("server", "target") in by and ("bare", "target") in by:
            s, b = by[("server", "target")], by[("bare", "target")]
            ratios.append(
                f"at the target load p50 server/bare = {s['p50']:.1f}/{b['p50']:.1f} ms "
                f"({s['p50'] / max(1e-9, b['p50']):.1f}×), p99 = {s['p99']:.1f}/{b['p99']:.1f} ms "
                f"({s['p99'] / max(1e-9, b['p99']):.1f}×; target p99 < 100 ms)"
            )
        for line in ratios:
            print(line)


# --- the load client (its own process) ------------------------------------------------------


class Sock:
    __slots__ = ("ws", "role", "prefix", "peer", "session", "window", "sent")

    def __init__(self, session: int, role: str) -> None:
        self.session, self.role = session, role
        self.prefix = role[0]
        self.ws = None
        self.peer: Sock | None = None
        self.window: asyncio.Semaphore | None = None
        self.sent = 0


def client_main(spec_path: str) -> None:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    runner(Client(json.loads(Path(spec_path).read_text())).run())


class Client:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.pending: dict[str, float] = {}  # client id -> send time (not yet at the peer)
        self.latencies: list[float] = []
        self.ids: list[int] = []
        self.counts: Counter = Counter()
        self.end = float("inf")

    async def connect(self, sock: Sock, port: int, cookie: str, sem) -> bool:
        from websockets.asyncio.client import connect

        url = f"ws://127.0.0.1:{port}/ws/sessions/{sock.session}/"
        headers = {
            "Cookie": f"{self.spec['cookie_name']}={cookie}",
            "Origin": f"http://127.0.0.1:{port}",
        }
        async with sem:
            for attempt in range(3):
                try:
                    sock.ws = await connect(
                        url,
                        additional_headers=headers,
                        open_timeout=120,
                        ping_interval=None,
                        close_timeout=2,
                        max_size=2**20,
                    )
                    state = json.loads(await asyncio.wait_for(sock.ws.recv(), 120))
                    if state.get("type") != "session.state":
                        self.counts[f"connect_{state.get('type')}"] += 1
                        return False
                    return True
                except Exception as exc:  # noqa: BLE001 - counted and retried
                    self.counts[f"connect_error_{type(exc).__name__}"] += 1
                    await asyncio.sleep(0.5 * (attempt + 1))
        return False

    async def reader(self, sock: Sock) -> None:
        loads, now = json.loads, time.time
        try:
            async for raw in sock.ws:
                at = now()
                message = loads(raw)
                kind = message.get("type")
                if kind == "chat.message":
                    body = message["message"]
                    cid = body["client_id"]
                    if cid[0] == sock.prefix:
                        self.counts["echo"] += 1
                        continue
                    sent_at = self.pending.pop(cid, None)
                    if sent_at is None:
                        self.counts["unexpected"] += 1
                        continue
                    self.latencies.append(round((at - sent_at) * 1000, 2))
                    self.ids.append(body["id"])
                    self.counts["delivered"] += 1
                    if at <= self.end:
                        self.counts["delivered_in_window"] += 1
                    if sock.peer.window is not None:
                        sock.peer.window.release()
                elif kind == "chat.ack":
                    self.counts["ack"] += 1
                elif kind == "pong":
                    self.counts["pong"] += 1
                elif kind == "error":
                    self.counts[f"error_{message.get('code')}"] += 1
                else:
                    self.counts[f"got_{kind}"] += 1
        except Exception as exc:  # noqa: BLE001 - a closed socket is counted
            self.counts[f"reader_{type(exc).__name__}"] += 1

    async def send_chat(self, sock: Sock) -> None:
        sock.sent += 1
        cid = f"{sock.prefix}{self.spec['tag']}s{sock.session}n{sock.sent}"
        now = time.time()
        self.pending[cid] = now
        self.counts["sent"] += 1
        # The send time travels in the text, as a person's words would.
        await sock.ws.send(
            json.dumps({"type": "chat.send", "client_id": cid, "text": f"bench {now:.6f} 元気?"})
        )

    async def paced(self, sock: Sock, t0: float, end: float) -> None:
        interval, ping = self.spec["interval"], self.spec["ping"]
        next_chat = t0 + random.uniform(0, interval)
        next_ping = t0 + random.uniform(0, ping)
        try:
            while True:
                at = min(next_chat, next_ping)
                if at >= end:
                    return
                await asyncio.sleep(max(0.0, at - time.time()))
                if next_chat <= next_ping:
                    next_chat += interval
                    await self.send_chat(sock)
                else:
                    next_ping += ping
                    await sock.ws.send('{"type": "ping"}')
                    self.counts["ping"] += 1
        except Exception as exc:  # noqa: BLE001
            self.counts[f"sender_{type(exc).__name__}"] += 1

    async def flooding(self, sock: Sock, end: float) -> None:
        try:
            while time.time() < end:
                try:
                    await asyncio.wait_for(sock.window.acquire(), max(0.01, end - time.time()))
                except TimeoutError:
                    return
                if time.time() >= end:
                    return
                await self.send_chat(sock)
        except Exception as exc:  # noqa: BLE001
            self.counts[f"sender_{type(exc).__name__}"] += 1

    async def run(self) -> None:
        spec = self.spec
        cport, pport = spec["ports"]
        socks: list[Sock] = []
        plan = []
        for s in spec["sessions"]:
            customer, provider = Sock(s["id"], "customer"), Sock(s["id"], "provider")
            customer.peer, provider.peer = provider, customer
            socks += [customer, provider]
            plan += [(customer, cport, s["customer"]), (provider, pport, s["provider"])]
        sem = asyncio.Semaphore(64)
        started = time.monotonic()
        ok = await asyncio.gather(*(self.connect(sock, port, ck, sem) for sock, port, ck in plan))
        live = [sock for sock, good in zip(socks, ok, strict=True) if good]
        print(
            json.dumps(
                {"ok": sum(ok), "failed": len(ok) - sum(ok), "seconds": time.monotonic() - started}
            ),
            flush=True,
        )
        readers = [asyncio.create_task(self.reader(sock)) for sock in live]
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        t0, duration = (float(x) for x in line.split())
        self.end = end = t0 + duration
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.sleep(max(0.0, t0 - time.time()))
        pairs = [sock for sock in live if sock.peer in live]
        if spec["mode"] == "saturate":
            for sock in pairs:
                sock.window = asyncio.Semaphore(spec["window"])
            senders = [self.flooding(sock, end) for sock in pairs]
        else:
            senders = [self.paced(sock, t0, end) for sock in pairs]
        await asyncio.gather(*senders)
        # Drain: what is still on its way has 10 s to arrive.
        drain_until = time.time() + 10
        while self.pending and time.time() < drain_until:
            await asyncio.sleep(0.05)
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        self.counts["lost"] = len(self.pending)
        self.counts["client_cpu_ms"] = int(
            1000 * (usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime)
        )
        sem = asyncio.Semaphore(256)

        async def close(sock: Sock) -> None:
            async with sem:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(sock.ws.close(), 5)

        await asyncio.gather(*(close(sock) for sock in live))
        for task in readers:
            task.cancel()
        print(
            json.dumps({"counts": dict(self.counts), "latencies": self.latencies, "ids": self.ids}),
            flush=True,
        )


# --- the bare relay (its own process) -------------------------------------------------------


def relay_main(port: int) -> None:
    """A minimal asyncio WebSocket relay: each socket of /ws/sessions/<id>/ gets a state
    message on connect, a pong per ping, and every chat.send of the paired socket as a
    chat.message. No database, no auth, no channel layer: the floor under the real server."""
    from websockets.asyncio.server import serve

    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run

    rooms: dict[str, list] = defaultdict(list)
    counter = iter(range(1, 10**12))
    path_re = re.compile(r"^/ws/sessions/(\d+)/")

    async def handler(ws) -> None:
        match = path_re.match(ws.request.path)
        if match is None:
            await ws.close(4404)
            return
        room = rooms[match.group(1)]
        room.append(ws)
        try:
            await ws.send('{"type": "session.state", "session": {}, "messages": []}')
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "chat.send":
                    out = json.dumps(
                        {
                            "type": "chat.message",
                            "message": {
                                "id": next(counter),
                                "client_id": message.get("client_id"),
                                "text": message.get("text"),
                                "created_at": time.time(),
                            },
                        }
                    )
                    for other in room:
                        if other is not ws:
                            await other.send(out)
                elif kind == "ping":
                    await ws.send('{"type": "pong"}')
        except Exception:  # noqa: BLE001, S110 - a dropped socket just leaves
            pass
        finally:
            room.remove(ws)

    async def serve_forever() -> None:
        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_size=2**20):
            await asyncio.get_running_loop().create_future()

    runner(serve_forever())


if __name__ == "__main__":
    main()
