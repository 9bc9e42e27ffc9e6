"""Settings shared by every mode. Values that vary come from config.env only."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = env.BASE_DIR

DEBUG = env.DEBUG
SECRET_KEY = env.SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production-aizuchi-0123456789"
ALLOWED_HOSTS = env.ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "django_tasks_db",
    # Aizuchi's apps in layer order, lowest first (docs/architecture.md; .importlinter).
    "aizuchi.core",
    "aizuchi.accounts",
    "aizuchi.notifications",
    "aizuchi.storefront",
    "aizuchi.relationships",
    "aizuchi.presence",
    "aizuchi.billing",
    "aizuchi.access",
    "aizuchi.booking",
    "aizuchi.live",
    "aizuchi.reputation",
    "aizuchi.messaging",
    "aizuchi.crm",
    "aizuchi.events",
    "aizuchi.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aizuchi.core.middleware.UserPreferencesMiddleware",
    "aizuchi.core.middleware.NotFoundMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "aizuchi.accounts.middleware.FirstRunMiddleware",
]

ROOT_URLCONF = "config.urls"
# Links in e-mail sent by background jobs start with this (no request to take it from).
AIZUCHI_SITE_URL = env.SITE_URL
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "aizuchi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aizuchi.site.context_processors.shell",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# Embedded default: SQLite in WAL mode; IMMEDIATE transactions take the write lock
# at BEGIN, so concurrent writers queue instead of failing mid-transaction.
SQLITE_DATABASE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": env.SQLITE_PATH,
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    },
}
if env.DATABASE_CONFIG:
    DATABASES = {"default": {**env.DATABASE_CONFIG, "CONN_MAX_AGE": 0}}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_DATABASE["OPTIONS"]
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Short web queries pay for JIT compilation and never win it back: with JIT on,
        # search p95 was 179 ms, off 100 ms (bench/search.py, 200,000 providers).
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    DATABASES = {"default": SQLITE_DATABASE}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and cache ----------------------------------------------------------
if env.REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: a push to a group is one PUBLISH, and each process hears it on one
            # subscription. The list-based layer fetched one message per round trip per
            # process, and at 800 sessions its queues fell seconds behind and dropped
            # pushes (bench/live_chat.py). Pushes are at most once either way: clients
            # catch up from the last message id they have (docs/realtime.md). Pub/sub
            # channels ignore the database number, so the prefix carries it.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [env.REDIS_URL],
                "prefix": "aizuchi" + (urlsplit(env.REDIS_URL).path.strip("/") or "0"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.REDIS_URL,
            "KEY_PREFIX": "aizuchi",
        }
    }
else:
    # channels' in-memory layer, minus a sweep over every socket on each message.
    CHANNEL_LAYERS = {"default": {"BACKEND": "aizuchi.core.realtime.ProcessChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks (django.tasks) -------------------------------------------------
TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[env.TASKS_BACKEND]}}

# Periodic jobs, enqueued once per slot by `manage.py run_scheduler` (aizuchi.core.schedule).
# Slots are aligned to the Unix epoch plus `offset`; 18:00 UTC is 03:00 in Tokyo.
AIZUCHI_SCHEDULE = {
    "reputation.ranks": {
        "task": "aizuchi.reputation.services.ranks.ranks_recompute_task",
        "interval": timedelta(days=1),
        "offset": timedelta(hours=18),
    },
    "billing.invoice_reminders": {
        "task": "aizuchi.billing.tasks.invoice_reminders_task",
        "interval": timedelta(hours=1),
    },
    # Unanswered booking requests expire; reminders a day and an hour before.
    "booking.housekeeping": {
        "task": "aizuchi.booking.tasks.booking_housekeeping_task",
        "interval": timedelta(minutes=5),
    },
    # Events: lapsed seat offers passed on, reminders, the start's charges, the end's invoices.
    "events.housekeeping": {
        "task": "aizuchi.events.tasks.events_housekeeping_task",
        "interval": timedelta(minutes=5),
    },
    # An e-mail for messages left unread (AIZUCHI_MESSAGING).
    "messaging.unread_mail": {
        "task": "aizuchi.messaging.tasks.unread_mail_task",
        "interval": timedelta(minutes=5),
    },
    # Scheduled follow-ups whose time has come (aizuchi.crm).
    "crm.followups": {
        "task": "aizuchi.crm.tasks.followups_due_task",
        "interval": timedelta(minutes=1),
    },
    # "Today, write to": each provider's suggestions, before the day starts in Tokyo.
    "crm.suggestions": {
        "task": "aizuchi.crm.tasks.suggestions_task",
        "interval": timedelta(days=1),
        "offset": timedelta(hours=20),
    },
}

# Ranks (aizuchi.reputation.services.ranks): a provider gets the highest tier whose every minimum
# they meet, over the trailing `window_days`. Rates are 0..1; rating is the average stars.
AIZUCHI_RANKS = {
    "window_days": 90,
    "tiers": {
        "bronze": {
            "min_sales_yen": 10_000,
            "min_sessions": 5,
            "min_completion_rate": 0.6,
            "min_repeat_rate": 0.0,
            "min_rating": 0,
        },
        "silver": {
            "min_sales_yen": 50_000,
            "min_sessions": 20,
            "min_completion_rate": 0.7,
            "min_repeat_rate": 0.2,
            "min_rating": 3.5,
        },
        "gold": {
            "min_sales_yen": 200_000,
            "min_sessions": 60,
            "min_completion_rate": 0.8,
            "min_repeat_rate": 0.3,
            "min_rating": 4.0,
        },
        "platinum": {
            "min_sales_yen": 600_000,
            "min_sessions": 150,
            "min_completion_rate": 0.9,
            "min_repeat_rate": 0.4,
            "min_rating": 4.5,
        },
    },
}

# --- Accounts (django-allauth) -------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "aizuchi.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# A nickname and consent to the terms and the privacy policy (aizuchi.accounts.forms).
ACCOUNT_SIGNUP_FORM_CLASS = "aizuchi.accounts.forms.SignupForm"
ACCOUNT_USER_DISPLAY = "aizuchi.accounts.adapter.user_display"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Aizuchi] "
# Failed logins: 10 a minute per client (IPv4 address or IPv6 /64), and 5 per 5 minutes
# per e-mail address *from one client* (aizuchi.accounts.adapter makes the "key" the address
# and the client), so a stranger's failures never lock the address's owner out.
# Successful sign-ins and sign-ups are counted per client too, sized for a marketplace:
# Japanese mobile carriers put many phones behind one IPv4 address (carrier-grade NAT), and
# an event starting brings many people at once, so allauth's 30 sign-ins a minute per
# address would turn real customers away.
ACCOUNT_RATE_LIMITS = {
    "login": "300/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "60/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# The client address behind reverse proxies (docs/operations.md, "Client addresses").
ALLAUTH_TRUSTED_PROXY_COUNT = env.TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.CLIENT_IP_HEADER or None
LOGIN_REDIRECT_URL = "site:home"
LOGIN_URL = "account_login"

# --- E-mail ----------------------------------------------------------------------------
MAILERS = {"default": env.MAILER}
DEFAULT_FROM_EMAIL = env.DEFAULT_FROM_EMAIL
SERVER_EMAIL = env.DEFAULT_FROM_EMAIL

# --- Language and time ---------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "aizuchi_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # storage; each viewer sees their own zone (UserPreferencesMiddleware)
DEFAULT_USER_TIME_ZONE = "Asia/Tokyo"

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.STATIC_ROOT
STATICFILES_DIRS = [
    # Front-end packages come from npm (package.json) and are served as they ship.
    ("vendor/pico", env.NODE_MODULES / "@picocss" / "pico" / "css"),
    ("vendor/htmx", env.NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", env.NODE_MODULES / "chart.js" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.MEDIA_ROOT
AIZUCHI_PRIVATE_MEDIA_ROOT = env.PRIVATE_MEDIA_ROOT
AIZUCHI_SERVE_MEDIA = env.SERVE_MEDIA  # config/urls.py serves MEDIA_ROOT when on
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the finders until collectstatic runs

# --- Security headers -------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],  # blob: previews photos before upload
    # Video embeds, inserted only when the visitor clicks play (storefront/media.js).
    "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Storefront: profile, prices and terms, standby plan --------------------------------
# Limits of what a provider may enter (aizuchi.storefront.services/offerings/standby).
AIZUCHI_STOREFRONT_PROFILE = {
    "TAGS_MAX": 10,
    "TAG_MAX_LENGTH": 20,
    "PRICE_MIN_YEN": 10,  # per minute
    "PRICE_MAX_YEN": 5000,
    "FIRST_FREE_MINUTES_MAX": 60,
    "SESSION_CAP_MAX_MINUTES": 600,
    "STANDBY_WINDOWS_MAX": 28,
}

# --- Storefront: photos, videos and the voice sample (aizuchi.storefront.media) ----------
AIZUCHI_STOREFRONT_MEDIA = {
    "IMAGES_MAX": 10,
    "IMAGE_MAX_BYTES": 8 * 1024 * 1024,  # checked before decoding
    "IMAGE_MAX_PIXELS": 50_000_000,  # refuse decompression bombs (width x height)
    "IMAGE_MAX_SIDE": 1600,  # re-encoded to WebP within this box
    "THUMBNAIL_SIDE": 480,
    "VIDEOS_MAX": 10,
    "VOICE_MAX_BYTES": 5 * 1024 * 1024,
}

# --- Billing (aizuchi.billing) ------------------------------------------------------------
AIZUCHI_BILLING = {
    # The operator's commission on every charge, in basis points (per-provider overrides
    # are set by staff). 2000 = 20 %.
    "COMMISSION_RATE_BP": env.COMMISSION_RATE_BP,
    # Payment gateways offered to customers, by code; see aizuchi.billing.gateways.
    "GATEWAYS": env.PAYMENT_GATEWAYS or ["manual"],
    # Sandbox gateways (the "test" checkout) settle payments on the customer's word; they
    # are offered only where this is on (development and tests, never production).
    "ALLOW_SANDBOX": False,
    # Points a customer may buy at once, and the amounts offered as buttons.
    "POINTS_MIN_YEN": 500,
    "POINTS_MAX_YEN": 100_000,
    "POINTS_CHOICES": [1000, 3000, 5000, 10000],
    # Postpaid invoices: due this many days after issue; reminders before and after.
    "INVOICE_DUE_DAYS": 7,
    "REMINDER_BEFORE_DUE": timedelta(days=2),
    "REMINDER_OVERDUE_AFTER": timedelta(hours=1),
    "REMINDER_OVERDUE_WEEK_AFTER": timedelta(days=7),
    "PAYOUT_MIN_YEN": 1000,
    # Prices are tax-inclusive; receipts show the consumption tax inside them.
    "TAX_RATE_PERCENT": 10,
    # Who issues receipts (適格請求書発行事業者の登録番号 if the operator has one).
    "ISSUER": {"name": "Aizuchi", "registration_number": "", "address": ""},
    # What the manual gateway tells customers who pay by bank transfer.
    "BANK_TRANSFER": {
        "bank": "あいづち銀行",
        "branch": "本店営業部",
        "account_type": "普通",
        "account_number": "1234567",
        "holder": "アイヅチ（カ",
    },
}

# --- Realtime and live sessions (aizuchi.core.connections, aizuchi.presence, aizuchi.live) ---
AIZUCHI_REALTIME = {
    # Each process writes down when its sockets were last heard this often.
    "HEARTBEAT_SECONDS": env.HEARTBEAT_SECONDS,
    # Browsers ping this often; a socket not heard from for STALE_SECONDS counts as gone.
    "CLIENT_PING_SECONDS": 10,
    "STALE_SECONDS": env.STALE_SECONDS,
    # What every socket takes from a client (aizuchi.core.sockets, docs/realtime.md).
    # A text frame longer than this many characters is refused unread.
    "FRAME_MAX_SIZE": 65_536,
    # Token buckets per socket, as (burst, refill per second): "frames" counts every
    # frame before it is read, each message type its own messages ("default" for a type
    # not listed), "refused" the frames refused before the socket is closed (4429).
    "SOCKET_RATES": {
        "frames": (60, 20),
        "refused": (30, 1),
        "default": (10, 2),
        "chat.send": (20, 2),
        "chat.typing": (10, 2),
        "chat.read": (30, 5),
        "signal": (60, 20),
        "call.state": (20, 5),
        "watch": (10, 1),
        "message.send": (10, 1),
        "message.read": (30, 5),
    },
    # Sockets of signed-out visitors (presence badges) from one client address at once,
    # per server process; more are refused (4429).
    "ANONYMOUS_SOCKETS_PER_ADDRESS": 50,
}
AIZUCHI_LIVE = {
    # A request rings the provider this long before it counts as not answered.
    "RING_SECONDS": 45,
    # After "accept", both sides have this long to open the session page.
    "CONNECT_SECONDS": 120,
    # A side may be gone this long (network change, reload) before the session ends;
    # billing then stops at the moment it went, not at the end of the grace.
    "GRACE_SECONDS": env.GRACE_SECONDS,
    # Warn both sides this long before points or the session's limit run out.
    "WARN_BEFORE_SECONDS": 180,
    # The provider's silence timer shows gentle prompts after these many silent seconds.
    "SILENCE_PROMPT_SECONDS": [60, 180],
    # A provider whose standby page is closed this long is shown as away.
    "PRESENCE_GRACE_SECONDS": 60,
    # How often each server process looks for sessions to start, warn or end.
    "METER_TICK_SECONDS": 1,
    "MESSAGE_MAX_LENGTH": 2000,
    # Voice calls: ICE servers handed to browsers (AIZUCHI_ICE_SERVERS, JSON).
    "ICE_SERVERS": env.ICE_SERVERS,
}

# --- Direct messages (aizuchi.messaging) -------------------------------------------------
AIZUCHI_MESSAGING = {
    # The longest message a provider may write (a customer's limit is the provider's
    # message policy, at most this).
    "MAX_LENGTH": 2000,
    "IMAGES_MAX": 4,  # per message; each checked as storefront photos are
    # Sends per person, over HTTP and sockets together: [count, seconds] windows.
    "SEND_RATES": env.MESSAGE_SEND_RATES,
    # Unread messages bring an e-mail once they have waited this long, and then at most
    # one per thread this often (when more came since).
    "UNREAD_MAIL_AFTER": timedelta(minutes=15),
    "UNREAD_MAIL_EVERY": timedelta(hours=3),
    # Threads and messages per page.
    "INBOX_PAGE": 30,
    "THREAD_PAGE": 50,
}
