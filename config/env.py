"""The one place where Aizuchi reads its environment.

Every setting that differs between a laptop, CI and a scaled deployment is read
here and nowhere else; the settings modules import the values from this module.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file beside manage.py is optional; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY: str = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# SQLite file used when DATABASE_URL is not set (the embedded default).
SQLITE_PATH = Path(
    env.str("AIZUCHI_SQLITE_PATH", default=str(BASE_DIR / "var" / "aizuchi.sqlite3"))
)
DATABASE_URL: str = env.str("DATABASE_URL", default="")
DATABASE_CONFIG = env.db_url_config(DATABASE_URL) if DATABASE_URL else None
# The test suite's own SQLite file; separate paths let several suites run side by side.
TEST_SQLITE_PATH = Path(
    env.str("AIZUCHI_TEST_SQLITE_PATH", default=str(BASE_DIR / "var" / "test.sqlite3"))
)

# Redis switches the channel layer and the cache from in-process to shared.
REDIS_URL: str = env.str("REDIS_URL", default="")

# "immediate" runs tasks inline (development, tests); "database" queues them for
# `manage.py db_worker` (the scaled setup).
TASKS_BACKEND: str = env.str("AIZUCHI_TASKS_BACKEND", default="immediate")

# E-mail: console in development; smtp+tls://user:pass@host:587 in production (required
# there); filemail:////abs/dir for tests that read what a server sent.
EMAIL_URL: str = env.str("EMAIL_URL", default="")
_EMAIL = environ.Env.email_url_config(EMAIL_URL or "consolemail://")
_EMAIL_OPTIONS = {  # django-environ's names -> options of Django's mail backends
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_FILE_PATH": "file_path",
}
MAILER = {
    "BACKEND": _EMAIL["EMAIL_BACKEND"],
    "OPTIONS": {
        option: _EMAIL[key]
        for key, option in _EMAIL_OPTIONS.items()
        if _EMAIL.get(key) not in (None, "")
    },
}
DEFAULT_FROM_EMAIL: str = env.str(
    "DEFAULT_FROM_EMAIL", default="Aizuchi <noreply@aizuchi.localhost>"
)

STATIC_ROOT = Path(env.str("AIZUCHI_STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
MEDIA_ROOT = Path(env.str("AIZUCHI_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Django serves uploads at MEDIA_URL itself (uploads are re-encoded images and checked
# audio, never HTML). In larger setups turn this off and let the reverse proxy serve /media/.
SERVE_MEDIA: bool = env.bool("AIZUCHI_SERVE_MEDIA", default=True)
# Uploads only some people may see (images in direct messages): never under MEDIA_ROOT,
# served by the app after its checks. Shared storage when there are several machines.
PRIVATE_MEDIA_ROOT = Path(
    env.str("AIZUCHI_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
)
NODE_MODULES = Path(env.str("AIZUCHI_NODE_MODULES", default=str(BASE_DIR / "node_modules")))

# Reverse proxy in front of the ASGI servers terminates TLS and sets this header.
BEHIND_TLS_PROXY: bool = env.bool("AIZUCHI_BEHIND_TLS_PROXY", default=True)
# Where the client's address comes from behind reverse proxies (sign-in brakes count per
# client): the number of proxies we run that each append to X-Forwarded-For (0 = trust no
# such header, take the connection's address), or the name of one header a trusted proxy
# sets to the client address (e.g. X-Real-IP), which then wins.
TRUSTED_PROXY_COUNT: int = env.int("AIZUCHI_TRUSTED_PROXY_COUNT", default=0)
CLIENT_IP_HEADER: str = env.str("AIZUCHI_CLIENT_IP_HEADER", default="")

# Billing: the operator's default commission (basis points: 2000 = 20 %) and the payment
# gateways customers may use ("manual" bank transfer/cash works offline; "test" is a fake
# hosted checkout for development and tests; a card gateway is a dotted path to its class).
COMMISSION_RATE_BP: int = env.int("AIZUCHI_COMMISSION_RATE_BP", default=2000)
PAYMENT_GATEWAYS: list[str] = env.list("AIZUCHI_PAYMENT_GATEWAYS", default=[])

# The address people reach this site at, for links in e-mail sent outside a request
# (reminders sent by scheduled jobs).
SITE_URL: str = env.str("AIZUCHI_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Live-session timings (seconds); the defaults suit people on phones. Tests shorten them.
HEARTBEAT_SECONDS: int = env.int("AIZUCHI_HEARTBEAT_SECONDS", default=5)
STALE_SECONDS: int = env.int("AIZUCHI_STALE_SECONDS", default=25)
GRACE_SECONDS: int = env.int("AIZUCHI_DISCONNECT_GRACE_SECONDS", default=60)

# WebRTC ICE servers for voice calls, as JSON (RTCIceServer objects). None are needed on a
# LAN; across the internet add STUN, and TURN for people behind strict NATs, e.g.
# '[{"urls": "stun:stun.example.org:3478"}, {"urls": "turn:turn.example.org:3478",
#   "username": "aizuchi", "credential": "..."}]'.
ICE_SERVERS: list = env.json("AIZUCHI_ICE_SERVERS", default=[])

# Direct messages one person may send, as [count, seconds] windows (all must allow it).
MESSAGE_SEND_RATES: list = env.json("AIZUCHI_MESSAGE_SEND_RATES", default=[[10, 10], [120, 3600]])
