"""The base of every WebSocket consumer: what happens to a frame before a consumer sees
it, and how a socket is refused (docs/realtime.md, "Every socket").

A frame goes through, in order: the socket's frame budget (before anything is read), the
size limit, JSON parsing (one object per text frame), the message type (each consumer
lists the types it takes, with their fields), that type's budget, and the fields' types
and ranges. What fails is answered with one ``error`` message and dropped, and the socket
stays open; a socket that keeps sending what is refused is closed with
``CLOSE_TOO_MANY``. A consumer's ``on_<type>`` handler gets clean values only, and a
``ServiceError`` it raises becomes an ``error`` message too.

Budgets are token buckets per socket (``AIZUCHI_REALTIME["SOCKET_RATES"]``). A refused
handshake is accepted and then closed with one of the codes below: a browser never learns
the HTTP status of a refused upgrade (it sees 1006), so it could not tell "signed out"
from "network" and would retry forever.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any, ClassVar

import orjson
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput, ServiceError, lazy_format
from .money import object_id

# Close codes (4000–4999 are the application's). The browser's close event carries them.
CLOSE_SIGNED_OUT = 4401  # no signed-in person (or signed out meanwhile): sign in again
CLOSE_FORBIDDEN = 4403  # signed in, but this socket is not theirs to open
CLOSE_NOT_FOUND = 4404  # no such socket, or nothing there for this person
CLOSE_TOO_MANY = 4429  # too many sockets from one address, or too many refused frames

BAD_FRAME = _("Send each message as one JSON object in a text frame.")
FRAME_TOO_LARGE = _("That message is too large (at most %(max)d characters).")
UNKNOWN_MESSAGE = _("This connection does not take messages of that type.")
TOO_FAST = _("Too many messages in a short time. Wait a moment and try again.")
FIELD_REQUIRED = _("This field is required.")
NOT_AN_ID = _("Enter a valid ID.")
NOT_A_BOOLEAN = _("Enter true or false.")
NOT_TEXT = _("Enter text.")
TEXT_TOO_LONG = _("Keep this to %(max)d characters.")
NOT_A_CHOICE = _("Choose one of: %(choices)s.")
NOT_AN_ID_LIST = _("Send a list of at most %(max)d IDs.")
NOT_AN_OBJECT = _("Send an object of at most %(max)d characters, or null.")


def realtime_limit(name: str):
    return settings.AIZUCHI_REALTIME[name]


# --- fields of client messages ---------------------------------------------------------


class FieldError(Exception):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True, kw_only=True)
class Field:
    """One field of a client message. ``clean`` returns the value to use or raises
    ``FieldError``; a field that is not required takes ``default`` when it is missing."""

    required: bool = True
    default: Any = None

    def clean(self, value):
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Id(Field):
    """A database id: a JSON integer (not a boolean, not a fraction) from 1 to 2**63 − 1."""

    def clean(self, value) -> int:
        if type(value) is int and object_id(value) is not None:
            return value
        raise FieldError(NOT_AN_ID)


@dataclass(frozen=True, kw_only=True)
class Boolean(Field):
    def clean(self, value) -> bool:
        if isinstance(value, bool):
            return value
        raise FieldError(NOT_A_BOOLEAN)


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    """A string the database can keep: no NUL, no lone surrogate (a JSON ``\\ud800``)."""

    max_length: int | None = None

    def clean(self, value) -> str:
        if not isinstance(value, str) or "\x00" in value:
            raise FieldError(NOT_TEXT)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FieldError(NOT_TEXT) from exc
        if self.max_length is not None and len(value) > self.max_length:
            raise FieldError(lazy_format(TEXT_TOO_LONG, max=self.max_length))
        return value


@dataclass(frozen=True, kw_only=True)
class Choice(Field):
    choices: tuple[str, ...]

    def clean(self, value) -> str:
        if isinstance(value, str) and value in self.choices:
            return value
        raise FieldError(lazy_format(NOT_A_CHOICE, choices=", ".join(self.choices)))


@dataclass(frozen=True, kw_only=True)
class IdList(Field):
    max_items: int

    def clean(self, value) -> list[int]:
        if isinstance(value, list) and len(value) <= self.max_items:
            try:
                return [Id().clean(item) for item in value]
            except FieldError:
                pass
        raise FieldError(lazy_format(NOT_AN_ID_LIST, max=self.max_items))


@dataclass(frozen=True, kw_only=True)
class JsonObject(Field):
    """An object passed on as it is (WebRTC descriptions), up to ``max_size`` characters
    as JSON; ``null`` too when ``nullable``."""

    max_size: int
    nullable: bool = False

    def clean(self, value) -> dict | None:
        if value is None and self.nullable:
            return None
        if isinstance(value, dict) and len(json.dumps(value)) <= self.max_size:
            return value
        raise FieldError(lazy_format(NOT_AN_OBJECT, max=self.max_size))


def fields_clean(fields: dict[str, Field], content: dict) -> dict:
    """The clean values of ``fields`` in a client message, or ``InvalidInput`` naming
    every wrong field. Fields nobody asked for are ignored."""
    data: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for name, field in fields.items():
        if name not in content:
            if field.required:
                errors[name] = [FIELD_REQUIRED]
            else:
                data[name] = field.default
            continue
        try:
            data[name] = field.clean(content[name])
        except FieldError as exc:
            errors[name] = [exc.message]
    if errors:
        raise InvalidInput(errors)
    return data


class FrameError(Exception):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


def frame_content(text: str | None, *, max_size: int) -> dict:
    """The JSON object in a text frame (``None`` for a binary frame), or ``FrameError``."""
    if text is None:
        raise FrameError(BAD_FRAME)
    if len(text) > max_size:
        raise FrameError(lazy_format(FRAME_TOO_LARGE, max=max_size))
    try:
        # orjson takes standard JSON only: no NaN or Infinity (browsers cannot read
        # them), no lone surrogate, at most 1,024 levels deep.
        content = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise FrameError(BAD_FRAME) from exc
    if not isinstance(content, dict):
        raise FrameError(BAD_FRAME)
    return content


# --- budgets -----------------------------------------------------------------------------


class TokenBucket:
    """``burst`` tokens, refilled at ``per_second``; each message takes one."""

    __slots__ = ("burst", "per_second", "tokens", "at")

    def __init__(self, burst: float, per_second: float, now: float) -> None:
        self.burst, self.per_second = burst, per_second
        self.tokens, self.at = float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class _Addresses:
    """Sockets held per client address in this process (anonymous ones are capped)."""

    def __init__(self) -> None:
        self.held: Counter[str] = Counter()

    def take(self, address: str, limit: int) -> bool:
        if self.held[address] >= limit:
            return False
        self.held[address] += 1
        return True

    def release(self, address: str) -> None:
        self.held[address] -= 1
        if self.held[address] <= 0:
            del self.held[address]


addresses = _Addresses()


def socket_language(scope) -> str:
    """The language of a socket's messages: the person's saved language, else what the
    pages would choose (the language cookie, then the browser's Accept-Language)."""
    user = scope.get("user")
    if user is not None and user.is_authenticated and getattr(user, "language", ""):
        return user.language
    headers = dict(scope.get("headers") or [])
    request = SimpleNamespace(
        COOKIES=scope.get("cookies") or {},
        META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
    )
    # A stand-in with the two attributes Django reads (a socket has no HttpRequest).
    return translation.get_language_from_request(request)  # type: ignore[arg-type]


# --- the consumer base -------------------------------------------------------------------


class Socket(AsyncJsonWebsocketConsumer):
    """A consumer that takes the messages in ``inbound``: each type's fields, and an
    ``on_<type>`` handler (dots as underscores) that gets their clean values."""

    inbound: ClassVar[dict[str, dict[str, Field]]] = {"ping": {}}
    language: str  # set on connect (socket_language)
    closing = False
    address: str | None = None  # the client address this socket holds a place for

    async def websocket_connect(self, message) -> None:
        self.language = socket_language(self.scope)
        self.rates = realtime_limit("SOCKET_RATES")
        self.buckets: dict[str, TokenBucket] = {}
        await super().websocket_connect(message)

    @classmethod
    async def decode_json(cls, text_data):
        return orjson.loads(text_data)

    @classmethod
    async def encode_json(cls, content) -> str:
        # A tenth of the server's time at the chat load went to the standard library's
        # encoder (bench/live_chat.py).
        return orjson.dumps(content).decode()

    async def refuse(self, code: int) -> None:
        """Refuse the socket with ``code``: accepted first, so the browser hears the code."""
        self.closing = True
        await self.base_send({"type": "websocket.accept"})
        await self.base_send({"type": "websocket.close", "code": code})

    def hold_address(self, limit_name: str) -> bool:
        """Take one of the places for the client's address (at most the setting
        ``limit_name`` at once in this process); False when they are all taken."""
        client = self.scope.get("client") or ("",)
        address = str(client[0])
        if not addresses.take(address, realtime_limit(limit_name)):
            return False
        self.address = address
        return True

    async def close(self, code=None, reason=None) -> None:
        if self.closing:  # closed already, or the client went away
            return
        self.closing = True
        await super().close(code, reason)

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        if self.closing:  # nothing may follow the close (a push on its way, say)
            return
        await super().send(text_data, bytes_data, close)

    async def websocket_disconnect(self, message) -> None:
        self.closing = True
        if self.address is not None:
            addresses.release(self.address)
            self.address = None
        await super().websocket_disconnect(message)

    def heard(self) -> None:
        """A frame arrived (proof of life for sockets that keep it)."""

    def _within(self, name: str, now: float) -> bool:
        bucket = self.buckets.get(name)
        if bucket is None:
            burst, per_second = self.rates.get(name) or self.rates["default"]
            bucket = self.buckets[name] = TokenBucket(burst, per_second, now)
        return bucket.take(now)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.closing:
            return
        self.heard()
        now = time.monotonic()
        with translation.override(self.language):
            if not self._within("frames", now):
                await self.refused("too_fast", TOO_FAST)
                return
            try:
                content = frame_content(text_data, max_size=realtime_limit("FRAME_MAX_SIZE"))
            except FrameError as exc:
                await self.refused("bad_frame", exc.message)
                return
            kind = content.get("type")
            fields = self.inbound.get(kind) if isinstance(kind, str) else None
            if fields is None or not isinstance(kind, str):
                await self.refused("unknown_message", UNKNOWN_MESSAGE)
                return
            if not self._within(kind, now):
                await self.refused("too_fast", TOO_FAST, kind)
                return
            try:
                data = fields_clean(fields, content)
            except InvalidInput as exc:
                await self.refused("invalid", exc.message, kind, exc.errors)
                return
            await self.handle(kind, data)

    async def refused(self, code: str, message, kind: str | None = None, errors=None) -> None:
        """Answer a frame that was not taken; close a socket that keeps sending them."""
        if not self._within("refused", time.monotonic()):
            await self.close(code=CLOSE_TOO_MANY)
            return
        await self.send_error(code, message, kind, errors)

    async def send_error(self, code: str, message, kind: str | None = None, errors=None) -> None:
        error: dict[str, Any] = {"type": "error", "code": code, "message": str(message)}
        if kind is not None:
            error["in_reply_to"] = kind
        if errors:
            error["errors"] = {field: [str(m) for m in texts] for field, texts in errors.items()}
        await self.send_json(error)

    async def handle(self, kind: str, data: dict) -> None:
        """Run the handler of a clean message; a service's refusal goes back as an error."""
        try:
            await getattr(self, "on_" + kind.replace(".", "_"))(data)
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message, kind, getattr(exc, "errors", None) or None)

    async def on_ping(self, data: dict) -> None:
        await self.send_json({"type": "pong"})

    async def realtime_push(self, event: dict) -> None:
        """A push from ``core.realtime.publish`` (``skip``: the socket that relayed it)."""
        if event.get("skip") == self.channel_name:
            return
        await self.send_json(event["message"])


class NoSuchSocket(Socket):
    """Every WebSocket path nothing else answers (config/routing.py): refused with 4404."""

    async def connect(self) -> None:
        await self.refuse(CLOSE_NOT_FOUND)


# --- who is behind a socket: the handshake's sign-in, many at once -----------------------


class _Decoded:
    """Browser sessions as last decoded, by key: a session read again with the same data
    (the sign-in checks of every socket, every 30 s and before every change) is not
    decoded again (a signature check, a decompression and JSON each time)."""

    most = 20_000

    def __init__(self) -> None:
        self.kept: dict[str, tuple[str, dict]] = {}

    def __call__(self, store, key: str, raw: str) -> dict:
        kept = self.kept.get(key)
        if kept is not None and kept[0] == raw:
            return kept[1]
        data = store.decode(raw)
        if len(self.kept) >= self.most:
            self.kept.clear()
        self.kept[key] = (raw, data)
        return data


_decoded = _Decoded()


def _session_data(keys: set[str]) -> dict[str, dict]:
    """The data of the browser sessions with these keys that exist and have not expired;
    with the database session engine (the default) in one query."""
    from django.utils import timezone

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return {key: store_class(session_key=key).load() for key in keys}
    store = store_class()
    rows = store.model.objects.filter(
        session_key__in=keys, expire_date__gt=timezone.now()
    ).values_list("session_key", "session_data")
    return {key: _decoded(store, key, raw) for key, raw in rows}


def signed_in_each(scopes: list[dict]) -> list[bool]:
    """For each socket: the browser session behind it, read afresh, still holds the
    person the socket was opened for (not signed out in another tab meanwhile)."""
    from django.contrib.auth import SESSION_KEY

    keys = [getattr(scope.get("session"), "session_key", None) for scope in scopes]
    data = _session_data({key for key in keys if key})
    return [
        bool(key)
        and key in data
        and str(data[key].get(SESSION_KEY)) == str(getattr(scope.get("user"), "pk", None))
        for key, scope in zip(keys, scopes, strict=True)
    ]


def users_for_session_keys(keys: list[str | None]) -> list:
    """The signed-in person behind each browser session key (``AnonymousUser`` for none),
    as channels' ``get_user`` finds them, for many handshakes in one call: with the
    database session engine (the default) one query for the sessions and one for the
    people, whatever their number. A session whose sign-in hash no longer matches (the
    password changed) counts as signed out."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
        load_backend,
    )
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import AnonymousUser
    from django.utils.crypto import constant_time_compare

    data = _session_data({key for key in keys if key})
    user_model = get_user_model()
    claims: dict[str, tuple[Any, str, str]] = {}  # key -> (user id, backend, hash)
    for key, values in data.items():
        try:
            user_id = user_model._meta.pk.to_python(values[SESSION_KEY])
            backend_path = values[BACKEND_SESSION_KEY]
        except (KeyError, ValidationError):
            continue
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            claims[key] = (user_id, backend_path, values.get(HASH_SESSION_KEY) or "")
    batched = {
        user.pk: user
        for user in user_model._default_manager.filter(
            pk__in={
                user_id
                for user_id, path, _hash in claims.values()
                if isinstance(load_backend(path), ModelBackend)
            }
        )
    }
    found: list = []
    for wanted in keys:
        claim = claims.get(wanted) if wanted else None
        user = None
        if claim is not None:
            user_id, path, session_hash = claim
            backend = load_backend(path)
            if isinstance(backend, ModelBackend):  # ModelBackend.get_user, batched
                user = batched.get(user_id)
                if user is not None and not backend.user_can_authenticate(user):
                    user = None
            else:
                user = backend.get_user(user_id)
            if user is not None and not (
                session_hash and constant_time_compare(session_hash, user.get_session_auth_hash())
            ):
                user = None
        found.append(user or AnonymousUser())
    return found


class SocketAuthMiddleware:
    """Puts ``session`` (the browser's session, not loaded) and ``user`` into the scope of
    every WebSocket, in place of channels' ``AuthMiddlewareStack``: the handshakes that
    arrive together are looked up in one call on a socket database thread (two queries
    for the lot) instead of two queries and a database connection each on channels'
    one database thread, which made 4,000 sockets take most of a minute to connect
    (bench/live_chat.py)."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        from .connections import socket_database

        cookies: dict[str, str] = {}
        for name, value in scope.get("headers") or ():
            if name == b"cookie":  # as channels' CookieMiddleware reads them
                cookies = parse_cookie(value.decode("latin-1"))
                break
        key = cookies.get(settings.SESSION_COOKIE_NAME)
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
        if session.session_key:
            user = await socket_database.gathered(
                socket_database.executor(), users_for_session_keys, session.session_key
            )
        else:  # no session cookie: signed out, without a trip to the database
            from django.contrib.auth.models import AnonymousUser

            user = AnonymousUser()
        scope = dict(
            scope,
            cookies=cookies,
            session=session,
            user=user,
        )
        return await self.inner(scope, receive, send)
