"""Helpers for tests that need the real thing: a real ASGI server in its own process.

pytest-django's ``live_server`` is WSGI only, so WebSocket and browser tests start
uvicorn on a free loopback port, pointed at the test database.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_string
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from urllib.request import urlopen

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from hypothesis import strategies as st

if TYPE_CHECKING:
    from channels.testing import WebsocketCommunicator

ROOT = Path(__file__).resolve().parents[2]  # the repository (settings.BASE_DIR)
# Debian's chromium on this kind of machine, for the browser tests and the screenshot tour:
# no sandbox (root), no GPU, and nothing that calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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


# --- sockets -----------------------------------------------------------------------------


async def refused_with(communicator, *, timeout: float = 3.0) -> int | None:
    """Open a ``WebsocketCommunicator``'s socket that is to be refused, and return the code
    it was closed with: a refusal is accepted, then closed at once
    (core.sockets.Socket.refuse), so that a browser hears the code."""
    connected, _subprotocol = await communicator.connect(timeout)
    assert connected, "refused at the handshake (a browser sees 1006, not a close code)"
    output = await communicator.receive_output(timeout)
    assert output["type"] == "websocket.close", output
    return output.get("code")


ORIGIN = (b"origin", b"http://127.0.0.1")  # channels refuses a handshake without an allowed one


def socket_headers(person=None) -> list[tuple[bytes, bytes]]:
    """Headers of a browser's handshake: an allowed Origin, and ``person``'s session
    cookie (signed in through Django's test client)."""
    from django.conf import settings
    from django.test import Client

    headers = [ORIGIN]
    if person is not None:
        client = Client()
        client.force_login(person)
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode()))
    return headers


def socket_rates(settings, rates: dict[str, tuple[float, float]] | None = None) -> None:
    """Every socket budget lifted (pytest-django's ``settings``) but those in ``rates``
    (``{"chat.typing": (10, 0)}``: a burst of ten, never refilled)."""
    realtime = settings.AIZUCHI_REALTIME
    unlimited = dict.fromkeys(realtime["SOCKET_RATES"], (10**9, 10**9))
    settings.AIZUCHI_REALTIME = {**realtime, "SOCKET_RATES": {**unlimited, **(rates or {})}}


async def socket_open(path: str, headers) -> WebsocketCommunicator:
    """A socket of the real ASGI application (config.asgi), opened and accepted."""
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _subprotocol = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def next_of(communicator, kind: str, *, timeout: float = 5.0) -> dict:
    """The next message of type ``kind`` the socket is sent (others are passed over)."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


async def drained(communicator) -> list[dict]:
    """Everything the socket was sent that nobody read yet."""
    messages = []
    while not await communicator.receive_nothing(timeout=0.3):
        messages.append(await communicator.receive_json_from())
    return messages


# What a socket may answer a refused frame with (docs/realtime.md, "Every socket").
ERROR_CODES = {"bad_frame", "unknown_message", "invalid", "too_fast", "conflict", "not_found"}


async def send_frame(communicator, frame: str | bytes) -> None:
    """One frame as a browser could send it: text (even empty) or binary (``bytes``)."""
    key = "bytes" if isinstance(frame, bytes) else "text"
    await communicator.send_input({"type": "websocket.receive", key: frame})


async def error_then_pong(communicator, frame: str | bytes, *, timeout: float = 5.0) -> dict:
    """Send ``frame`` and then a ping; return the one ``error`` the socket answered the
    frame with, having checked that it stayed open and the ping still got its pong
    (pushes in between are let through)."""
    await send_frame(communicator, frame)
    await communicator.send_input({"type": "websocket.receive", "text": '{"type": "ping"}'})
    replies = []
    while True:
        output = await communicator.receive_output(timeout)
        assert output["type"] == "websocket.send", (frame[:200], output)
        message = json.loads(output["text"])
        if message["type"] == "pong":
            break
        replies.append(message)
    errors = [m for m in replies if m["type"] == "error"]
    assert len(errors) == 1, (frame[:200], replies)
    error = errors[0]
    assert error["code"] in ERROR_CODES, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert set(error) <= {"type", "code", "message", "in_reply_to", "errors"}, error
    return error


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def not_ids() -> st.SearchStrategy:
    """JSON values that are not a database id (a whole number from 1 to 2**63 − 1)."""
    return st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=2**63),
        json_values.filter(lambda v: type(v) is not int),
    )


def not_booleans() -> st.SearchStrategy:
    return json_values.filter(lambda v: not isinstance(v, bool))


def not_texts() -> st.SearchStrategy:
    """Not a string, or one no database keeps (a NUL, a lone surrogate)."""
    return st.one_of(
        json_values.filter(lambda v: not isinstance(v, str)),
        st.tuples(st.text(max_size=5), st.sampled_from(["\x00", "\ud800", "\udfff"])).map("".join),
    )


def not_one_of(choices) -> st.SearchStrategy:
    return json_values.filter(lambda v: v not in choices)


def not_id_lists(max_items: int) -> st.SearchStrategy:
    return st.one_of(
        json_values.filter(lambda v: not isinstance(v, list)),
        st.lists(st.integers(1, 10**6), min_size=max_items + 1, max_size=max_items + 5),
        st.tuples(st.lists(st.integers(1, 10**6), max_size=3), not_ids()).map(
            lambda pair: [*pair[0], pair[1]]
        ),
    )


def not_objects(*, max_size: int, nullable: bool) -> st.SearchStrategy:
    return st.one_of(
        json_values.filter(lambda v: not isinstance(v, dict) and (v is not None or not nullable)),
        st.just({"sdp": "x" * (max_size + 1)}),
    )


def bad_frames(*, takes) -> st.SearchStrategy:
    """Frames no socket can read as a message it takes (``takes``): binary and empty
    frames, text that is not JSON, JSON that is not an object, objects without a type or
    of a type the socket does not take. Binary frames are ``bytes``."""

    def not_json(text: str) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return True
        return False

    others = sorted(SOCKET_MESSAGE_TYPES - set(takes))
    unknown_type = st.one_of(
        st.text(max_size=30).filter(lambda t: t not in takes),
        st.sampled_from(others),
        json_values.filter(lambda v: not isinstance(v, str)),
    )
    return st.one_of(
        st.binary(max_size=64),
        st.just(""),
        st.text(max_size=40).filter(not_json),
        json_values.filter(lambda v: not isinstance(v, dict)).map(json.dumps),
        st.fixed_dictionaries({"type": unknown_type}).map(json.dumps),
        st.dictionaries(st.text(max_size=8).filter(lambda k: k != "type"), json_values).map(
            json.dumps
        ),
    )


def wrong_messages(kind: str, wrong: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """Messages of type ``kind`` whose fields are each wrong or left out (``wrong[field]``
    draws wrong values; ``kind`` must have a required field, so none is right)."""
    return st.fixed_dictionaries({"type": st.just(kind)}, optional=wrong).map(json.dumps)


# Every message type some socket takes: one socket's type is unknown to the others.
SOCKET_MESSAGE_TYPES = {
    "ping", "chat.send", "chat.typing", "chat.read", "signal", "call.state", "hang_up",
    "set_state", "accept", "decline", "watch", "message.send", "message.read",
    "mute", "remove", "voice.join", "voice.leave",
}  # fmt: skip


def hostile_frames(*, takes, fields: dict[str, list[str]], frame_max: int) -> list[str | bytes]:
    """Frames every socket must refuse, whatever it takes: too large, too deep, numbers
    too long to read, constants browsers cannot parse, two objects in one frame, and for
    each message type and field (``fields``) a value far out of range."""
    frames: list[str | bytes] = [
        b"",
        b"\x00\xff" * 1000,
        json.dumps({"type": "ping"}).encode(),  # the right text, in a binary frame
        "",
        " ",
        "{not json",
        "[" * (frame_max // 2),
        '{"type": "ping", "n": ' + "9" * 5000 + "}",
        '{"type": "ping", "n": NaN}',
        '{"type": "ping", "n": -Infinity}',
        '{"type": "ping"} {"type": "ping"}',
        json.dumps({"type": "ping", "padding": "x" * frame_max}),
        json.dumps({"type": "x" * (frame_max - 20)}),
        json.dumps([{"type": "ping"}]),
        json.dumps({"type": None}),
        json.dumps({"type": ["ping"]}),
    ]
    huge = [10**30, -(10**30), 2**63, 1e308, list(range(1, 10_001)), "x" * (frame_max + 1)]
    for kind in takes:
        for name in fields.get(kind, []):
            frames.extend(json.dumps({"type": kind, name: value}) for value in huge)
    return frames


class LoopThread:
    """An event loop on a thread of its own, kept while the ``with`` block lasts, so a
    synchronous test (a hypothesis ``@given`` one) can talk to sockets that live across
    its examples: ``loop.run(coroutine)`` waits for it there."""

    def __enter__(self) -> LoopThread:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self.thread.start()
        return self

    def run[T](self, coroutine: Coroutine[object, object, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def __exit__(self, *exc_info) -> None:
        async def rest_cancelled() -> None:  # what the sockets left running (heartbeats)
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(rest_cancelled())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


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
