"""Phasewise settings: every knob is an environment variable with a safe default (see README, "Settings")."""

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """A stable key per checkout, so sessions survive restarts without anyone configuring one."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# PHASEWISE_PROFILE=production: served over HTTPS behind a reverse proxy. Turns on, as defaults that the
# variables below may still override, what `check --deploy` asks for (secure cookies, HTTPS redirect, HSTS for a
# year with subdomains and preload, proxy headers), and needs SECRET_KEY and ALLOWED_HOSTS set explicitly.
# Empty (the default): one laptop on a workshop network, plain HTTP.
PROFILES = ("", "production")
PROFILE = os.environ.get("PHASEWISE_PROFILE", "").strip().lower()
if PROFILE not in PROFILES:
    raise ImproperlyConfigured(
        f"PHASEWISE_PROFILE={PROFILE!r} is not a profile: leave it empty (one laptop) or set it to production."
    )
PRODUCTION = PROFILE == "production"
if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not os.environ.get(name, "").strip()]
    if missing:
        raise ImproperlyConfigured(
            f"PHASEWISE_PROFILE=production needs {' and '.join(missing)} set (see README, Settings): a key "
            "shared by every process, and the host names the site is served under."
        )

SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "*")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "lessons",
    "facilitation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "workshop.security.SecurityHeadersMiddleware",
    "workshop.static_files.StaticFilesMiddleware",  # whitenoise, also before or without collectstatic
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workshop.signin.ThrottledStatusMiddleware",
    # Last, so that its process_exception sees a view's exception first (workshop/unavailable.py).
    "workshop.unavailable.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "workshop.urls"

# Live tools besides the built-in ones (facilitation.tools.BUILT_IN): dotted package names, each declaring
# `TOOL = Tool(...)` (see facilitation/tools/__init__.py); their templates are found in the package's templates/.
PHASEWISE_EXTRA_TOOLS = tuple(envlist("PHASEWISE_EXTRA_TOOLS", ""))
WSGI_APPLICATION = "workshop.wsgi.application"
ASGI_APPLICATION = "workshop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # What django-template-partials sets up by itself (partials over Django's cached default loaders),
            # plus the templates of tools outside this project's apps (facilitation.tools.loader).
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                                "facilitation.tools.loader.Loader",
                            ],
                        )
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite (WAL, IMMEDIATE transactions, busy timeout) unless DATABASE_URL names another. The same
# tuning applies whichever setting names the SQLite file (SQLITE_PATH or a sqlite:/// DATABASE_URL): without
# it a room joining at once gets "database is locked".
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
SQLITE_TIMEOUT = envint("SQLITE_TIMEOUT", 20)
DATABASE_URL = os.environ.get("DATABASE_URL", "")


_TEST_SQLITE = str(
    Path(tempfile.gettempdir()) / f"phasewise-test-{os.getpid()}-{secrets.token_hex(4)}.sqlite3"
)


def sqlite_database(path: str) -> dict:
    """Phasewise's SQLite: WAL (readers never wait for the writer), IMMEDIATE transactions (a writer takes the
    lock when its transaction starts, so it waits its turn instead of failing when it upgrades from reading)
    and a busy timeout."""
    if path in {"", ":memory:"} or path.startswith("file::memory:"):
        raise ImproperlyConfigured(
            "An in-memory SQLite database is empty in every process and connection: name a file with "
            "SQLITE_PATH (and leave DATABASE_URL empty) or DATABASE_URL=sqlite:////absolute/path.sqlite3."
        )
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_TIMEOUT,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA busy_timeout={SQLITE_TIMEOUT * 1000};"
            ),
        },
        # A file, not memory: browser and websocket tests run a real daphne process on the test database.
        # A new name per test run (process id and a random part): parallel runs on one machine do not share
        # it, and a run never takes over a file that a killed run left under a reused process id.
        "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH", _TEST_SQLITE)},
    }


# PostgreSQL connections are pooled per process (Django's pool, on psycopg_pool), each checked as it is taken
# (a restarted PostgreSQL costs no request): without it every request and every websocket's database call
# opened a connection, a PostgreSQL backend process, and closed it; a room of 1,000 reconnecting at once spent
# much of its time there (bench_live). 0: no pool (a connection per request, or DB_CONN_MAX_AGE's).
DB_POOL_SIZE = envint("DB_POOL_SIZE", 10)
DB_POOL_TIMEOUT = envfloat("DB_POOL_TIMEOUT", 3.0)
DB_CONN_MAX_AGE = envint("DB_CONN_MAX_AGE", 0)


def postgresql_pool(database: Any) -> dict:
    """`database` with the pool in its OPTIONS, for PostgreSQL when DB_POOL_SIZE is not 0."""
    if database["ENGINE"] != "django.db.backends.postgresql" or DB_POOL_SIZE <= 0:
        return database
    if DB_CONN_MAX_AGE:
        raise ImproperlyConfigured(
            "DB_CONN_MAX_AGE keeps each connection open itself, and Django's pool (DB_POOL_SIZE) cannot be "
            "combined with it: leave DB_CONN_MAX_AGE at 0, or set DB_POOL_SIZE=0 to go without the pool."
        )
    pool = {
        "min_size": 1,
        "max_size": DB_POOL_SIZE,
        # A request waits this long for a connection, then gets the 503 page ("back in a moment"): with
        # PostgreSQL down no connection ever comes, and the pool's default (30 s) left the page hanging.
        "timeout": DB_POOL_TIMEOUT,
        # The pool retries a failed connection with a growing delay (1, 2, 4 s…): giving up after 2 s, it tries
        # afresh on the next request, so a PostgreSQL that is back serves requests at once, not after the delay.
        "reconnect_timeout": 2,
    }
    # CONN_HEALTH_CHECKS: Django has the pool check each connection as it is taken.
    return {**database, "CONN_HEALTH_CHECKS": True, "OPTIONS": {**database.get("OPTIONS", {}), "pool": pool}}


if DATABASE_URL:
    DATABASES: dict[str, Any] = {
        "default": postgresql_pool(dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE))
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"] = {
            **sqlite_database(DATABASES["default"]["NAME"]),
            "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        }
else:
    DATABASES = {"default": sqlite_database(SQLITE_PATH)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# HTTP requests that run in Django at once per process; more wait in line (workshop.asgi.BoundedHttp). 0: no limit.
HTTP_CONCURRENCY = envint("HTTP_CONCURRENCY", 8)

# Open websockets one learner (participant) or one facilitator (user) may keep, counted across processes on
# Redis; a socket past the cap closes that person's oldest one (facilitation.consumers). 0: no limit.
SOCKETS_PER_PARTICIPANT = envint("SOCKETS_PER_PARTICIPANT", 6)
SOCKETS_PER_FACILITATOR = envint("SOCKETS_PER_FACILITATOR", 20)

# Seconds between two pushes of the same screen region in a burst (facilitation.broadcast.coalesce). 0: push
# every change at once.
PUSH_INTERVAL = envfloat("PUSH_INTERVAL", 0.1)

# Channel layer: in-memory on one process, Redis when REDIS_URL is set. The BACKENDs are builders that check
# upstream first and build Channels' or channels-redis's own layer (one warning) when it has changed
# (workshop.upstream.channel_layer).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # channels-redis waits for messages with a blocking BZPOPMIN of 5 s; redis-py 8 reads with a default socket
    # timeout of 5 s too, so an idle socket's wait could time out and kill its consumer. Reads get more time.
    REDIS_HOST = {"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "workshop.upstream.channel_layer.redis_layer",
            "CONFIG": {"hosts": [REDIS_HOST], "capacity": envint("CHANNEL_CAPACITY", 1000), "expiry": 60},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "workshop.upstream.channel_layer.in_memory_layer",
            "CONFIG": {"capacity": envint("CHANNEL_CAPACITY", 1000), "expiry": 60},
        }
    }

CACHES: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
# Rendered PDFs (lessons.pdf.pdf_download), apart from the rate limits' counters so that they never push
# those out of a full cache.
CACHES["pdf"] = {**CACHES["default"], "KEY_PREFIX": "pdf", "OPTIONS": {}}
if not REDIS_URL:
    CACHES["pdf"]["OPTIONS"] = {"MAX_ENTRIES": envint("PDF_CACHE_ENTRIES", 200)}
    CACHES["pdf"]["LOCATION"] = "pdf"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
# Failed sign-ins (site and admin, workshop.signin): one username from one address; one address, any username;
# one username from anywhere. A try past a limit is refused before its password is hashed.
LOGIN_RATE = os.environ.get("LOGIN_RATE", "10/m")
LOGIN_ADDRESS_RATE = os.environ.get("LOGIN_ADDRESS_RATE", "30/m")
LOGIN_USERNAME_RATE = os.environ.get("LOGIN_USERNAME_RATE", "100/h")
LOGIN_REDIRECT_URL = "/facilitate/"
LOGOUT_REDIRECT_URL = "/"

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind nginx: trust X-Forwarded-For/-Proto (never without a proxy: clients could spoof their address).
# The client's address is then the last X-Forwarded-For entry, the one the proxy wrote (workshop.client_ip).
TRUST_PROXY_HEADERS = envbool("TRUST_PROXY_HEADERS", PRODUCTION)
RATELIMIT_IP_META_KEY = "workshop.client_ip.client_address"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_PROXY_HEADERS else None
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION)
# Health checks come from the machine itself or a load balancer over plain HTTP: answer them, don't redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", PRODUCTION)
# Our own scripts only; set CONTENT_SECURITY_POLICY to an empty value to send none (e.g. behind a proxy that
# sets its own).
CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY", None)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Phasewise's own knobs.
PUBLIC_URL = os.environ.get("PUBLIC_URL", "")  # base URL printed in QR codes; default: the request's host
# Wrong join codes (a lookup that finds no open session) per client address, and for the whole server
# (facilitation.guesses). Loading the form and joining with the right code are never counted.
JOIN_RATE = os.environ.get("JOIN_RATE", "30/m")
JOIN_GLOBAL_RATE = os.environ.get("JOIN_GLOBAL_RATE", "300/m")
WALL_NOTE_RATE = os.environ.get("WALL_NOTE_RATE", "5/30s")  # notes one learner may post
EXPLAIN_QUESTION_RATE = os.environ.get("EXPLAIN_QUESTION_RATE", "3/m")  # Q&A questions one learner may ask
SUPPORT_HELP_RATE = os.environ.get("SUPPORT_HELP_RATE", "5/5m")  # help requests one learner may send
# PDFs (lessons.pdf.pdf_download): renders at once per server process (each in a render process of its own),
# requests that may wait for one and for how long, renders per person, and how long a rendered PDF is kept.
PDF_RENDERS = max(envint("PDF_RENDERS", 1), 1)
PDF_QUEUE = envint("PDF_QUEUE", 2)
PDF_QUEUE_SECONDS = envfloat("PDF_QUEUE_SECONDS", 10)
PDF_RATE = os.environ.get("PDF_RATE", "10/m")
PDF_CACHE_SECONDS = envint("PDF_CACHE_SECONDS", 3600)
# PDF requests from one client address take turns, at least this many seconds apart (workshop.turns).
PDF_SPACING = envfloat("PDF_SPACING", 0.25)
# Days after a session ends before `purge_sessions` deletes its learner data; 0 keeps it until deleted by hand.
RETENTION_DAYS = envint("RETENTION_DAYS", 0)
# bench_live turns this on in its throw-away server: /healthz then also reports render and send counters.
BENCHMARK_METRICS = envbool("BENCHMARK_METRICS", False)
FACILITATOR_USERNAME = os.environ.get("FACILITATOR_USERNAME", "facilitator")
FACILITATOR_PASSWORD = os.environ.get("FACILITATOR_PASSWORD", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Messages dropped for a full channel are logged at INFO by channels-redis: always show them.
        "channels_redis": {"level": "INFO"},
    },
}

if CONTENT_SECURITY_POLICY is None:
    from workshop.security import CSP as CONTENT_SECURITY_POLICY  # noqa: E402
