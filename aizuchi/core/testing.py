"""Helpers for tests that need the real thing: a real ASGI server in its own process.

pytest-django's ``live_server`` is WSGI only, so WebSocket and browser tests start
uvicorn on a free loopback port, pointed at the test database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_string
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]  # the repository (settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_tests() -> str:
    """A DATABASE_URL for the database this test process is using right now."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def server_argv(port: int, *, lifespan: bool = True) -> list[str]:
    """The command of one server process on 127.0.0.1, as `make serve` runs it (tests and
    benchmarks): the meter in the lifespan, no per-message deflate, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "on" if lifespan else "off",
        "--ws-per-message-deflate",
        "false",
        "--no-access-log",
    ]


@dataclass
class AsgiServer:
    """One uvicorn process serving config.asgi on 127.0.0.1."""

    mail_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, extra_env: dict[str, str] | None = None) -> AsgiServer:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_tests(),
            "EMAIL_URL": f"filemail:///{self.mail_dir.resolve()}",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.log_path = self.mail_dir.parent / f"server-{self.port}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (fixed argv)
            server_argv(self.port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()
        return self

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                with urlopen(f"{self.url}/healthz", timeout=1) as response:  # noqa: S310 (loopback only)
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def sent_mail(self) -> list[EmailMessage]:
        """The e-mails the server wrote with the file backend, oldest first, parsed."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for raw in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
                if raw.strip():
                    messages.append(message_from_string(raw.lstrip(), policy=default_policy))
        return messages


def pushed_to[T](group: str, action: Callable[[], T], *, timeout: float = 5.0) -> tuple[T, dict]:
    """Run ``action`` while listening on ``group`` of the configured channel layer, and
    return what it returned and the first push the group heard (``TimeoutError`` if
    none). Listening and hearing happen on one event loop, as in a server process (the
    Redis pub/sub layer keeps its channels per loop); ``action`` runs in this thread."""

    async def listen() -> tuple[T, dict]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            result = await sync_to_async(action)()
            event = await asyncio.wait_for(layer.receive(channel), timeout)
        finally:
            await layer.group_discard(group, channel)
        return result, event["message"]

    return async_to_sync(listen)()


# --- browser tests -------------------------------------------------------------------------

SCREENSHOTS = ROOT / "test-results" / "screenshots"


def in_worker[T](work: Callable[[], T]) -> T:
    """Run ``work`` off this thread. Browser tests run Playwright's event loop here, where
    services that push after commit cannot run."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def screenshot(page, name: str, *, widths: tuple[int, ...] = ()) -> None:
    """A full-page screenshot under test-results/screenshots: as the page is, or at each
    of ``widths`` (``<name>-<width>.png``), where nothing may scroll sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if not widths:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        return
    size = page.viewport_size
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top of the shot
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
    page.set_viewport_size(size)


# --- hypothesis state machines over the database -------------------------------------------


class RolledBack:
    """For a hypothesis ``RuleBasedStateMachine`` over the database: ``begin`` opens a
    savepoint (and, given ``at``, stops the clock there, moved by ``self.traveller``);
    teardown rolls every run back, so runs never see one another's rows."""

    def begin(self, *, at=None) -> None:
        from django.db import transaction

        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        if at is not None:
            import time_machine

            self.clock = time_machine.travel(at, tick=False)
            self.traveller = self.clock.start()

    def teardown(self) -> None:
        from django.db import transaction

        if hasattr(self, "clock"):
            self.clock.stop()
        if hasattr(self, "atomic"):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
