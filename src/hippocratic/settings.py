"""Django settings, read from the environment.

Development (HIPPOCRATIC_DEBUG=1, as `make run` sets) works with no set-up:
SQLite under var/ and a secret key generated into var/. Production (the
default, DEBUG off) refuses to start without SECRET_KEY and ALLOWED_HOSTS, and
forces HTTPS, secure cookies and HSTS.

Environment:
  HIPPOCRATIC_HOME     where var/ lives (default: the current directory)
  HIPPOCRATIC_POLICY   the provider's policy file (default: policies/ducallier.yaml)
  HIPPOCRATIC_DEBUG    1 for development
  SECRET_KEY           required in production
  ALLOWED_HOSTS        comma-separated, required in production
  DATABASE_URL         e.g. postgres://user@host:5432/name (default: SQLite)
  EMAIL_URL            e.g. smtp://user:password@host:587?tls=1, or EMAIL_HOST, EMAIL_PORT,
                       EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD
  SITE_URL             the site's address for links in mail, required in production
  HIPPOCRATIC_ENV_FILE a file of NAME=value lines read first (default: var/demo.env,
                       which `make run` writes; empty: none). The environment wins.
"""

import datetime as dt
import os
import re
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from dotenv import load_dotenv

from hippocratic import keys as keyfiles
from hippocratic.capabilities import APPS as CAPABILITY_APPS
from hippocratic.enforcement.backends import ENGINES as GATED_ENGINES
from hippocratic.mailconfig import smtp_options


def _env_number(name: str, default: str, kind=float, *, at_least: float = 0):
    """A number from the environment, or one clear line naming the variable (a settings
    module that raised ValueError printed a traceback instead)."""
    raw = os.environ.get(name, "").strip() or default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or value != value or value in (float("inf"), float("-inf")):
        noun = "a whole number" if kind is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {noun}, not {raw[:40]!r}.")
    if value < at_least:
        raise ImproperlyConfigured(f"{name} must be at least {at_least}, not {raw[:40]!r}.")
    return value


HOME = Path(os.environ.get("HIPPOCRATIC_HOME", "").strip() or Path.cwd()).resolve()
if HOME.exists() and not HOME.is_dir():
    raise ImproperlyConfigured(f"HIPPOCRATIC_HOME names a file, not a folder: {HOME}.")
VAR_DIR = HOME / "var"
# `make run` writes the demo's settings (debug, policy, database, SITE_URL, keys) to
# var/demo.env, so every `hippocratic` command run in the same folder acts on the running
# demo without repeating them. A variable set in the environment wins over the file's.
ENV_FILE = os.environ.get("HIPPOCRATIC_ENV_FILE", str(VAR_DIR / "demo.env"))
if ENV_FILE:
    load_dotenv(ENV_FILE, override=False)
DEBUG = os.environ.get("HIPPOCRATIC_DEBUG", "").lower() in ("1", "true", "yes", "on")

# A relative HIPPOCRATIC_POLICY is relative to the working directory, as a path
# given on a command line is; unset, the demo profile under HIPPOCRATIC_HOME.
HIPPOCRATIC_POLICY = str(
    Path(os.environ["HIPPOCRATIC_POLICY"]).resolve()
    if os.environ.get("HIPPOCRATIC_POLICY")
    else HOME / "policies" / "ducallier.yaml"
)


# A promise the policy makes that this build does not enforce stops the site in
# production (a system check error); the demo and the tests start with a warning.
HIPPOCRATIC_STRICT_PROMISES = os.environ.get(
    "HIPPOCRATIC_STRICT_PROMISES", "0" if DEBUG else "1"
).lower() in ("1", "true", "yes", "on")

# The Ed25519 key that signs audit checkpoints; keep it outside the database
# (`hippocratic keys init` makes it under var/keys/; development makes one on first use).
# Its retired public keys are kept beside it (`keys rotate audit`), or listed in
# HIPPOCRATIC_AUDIT_OLD_PUBLIC_KEYS (space-separated) on a machine that only verifies.
HIPPOCRATIC_AUDIT_KEY = str(keyfiles.audit_key_path())
HIPPOCRATIC_AUDIT_OLD_PUBLIC_KEYS = os.environ.get("HIPPOCRATIC_AUDIT_OLD_PUBLIC_KEYS", "").split()
# The public half, for a machine that verifies but does not sign (base64 of the raw
# 32 bytes; `hippocratic audit keygen` prints it). Checkpoints are checked against
# this key, or the key file's, never against a key written inside a checkpoint.
HIPPOCRATIC_AUDIT_PUBLIC_KEY = os.environ.get("HIPPOCRATIC_AUDIT_PUBLIC_KEY", "")
# Signed checkpoints are written here too, outside the database; `audit verify` checks
# the newest and fails when it is older than the age below (hours).
# Where scheduled partner exports are written (disclosure.partners), outside the
# database; each file is readable by the site's user only.
HIPPOCRATIC_PARTNER_EXPORTS = os.environ.get(
    "HIPPOCRATIC_PARTNER_EXPORTS", str(VAR_DIR / "partner-exports")
)
HIPPOCRATIC_AUDIT_CHECKPOINTS = os.environ.get(
    "HIPPOCRATIC_AUDIT_CHECKPOINTS", str(VAR_DIR / "audit-checkpoints")
)
HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS = _env_number(
    "HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS", "25"
)
# How often each worker's sequencer places pending audit entries in the tree: the
# merge delay (an entry's wait for its place) is this plus one pass.
HIPPOCRATIC_AUDIT_SEQUENCE_SECONDS = _env_number("HIPPOCRATIC_AUDIT_SEQUENCE_SECONDS", "0.1")


def _dev_secret_key() -> str:
    """A per-checkout key for development, kept out of the repository under var/."""
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
# The master key that wraps each customer's mailbox key (communications.crypto): 32
# random bytes, URL-safe base64. Kept apart from SECRET_KEY, so rotating that one
# leaves stored mail readable; development derives one from the secret key.
# It is a ring: several keys, comma-separated, the first sealing and every one opening;
# unset, the ring in HIPPOCRATIC_MAILBOX_KEY_FILE (default var/keys/mailbox.key, one key
# a line, as `hippocratic keys init` and `keys rotate mailbox` write it).
HIPPOCRATIC_MAILBOX_KEY_FILE = str(keyfiles.mailbox_key_path())
try:
    HIPPOCRATIC_MAILBOX_KEY = os.environ.get(
        "HIPPOCRATIC_MAILBOX_KEY"
    ) or keyfiles.mailbox_ring_from_file(Path(HIPPOCRATIC_MAILBOX_KEY_FILE))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
# The most mail one customer's mailbox holds, in MiB; more waits at the MTA (452 4.2.2).
HIPPOCRATIC_MAILBOX_QUOTA = (
    min(_env_number("HIPPOCRATIC_MAILBOX_QUOTA_MB", "200", int, at_least=1), 10**6) * 2**20
)
# The authserv-id of the receiving MTA's Authentication-Results headers (RFC 8601) that
# unsubscribe by mail trusts (messaging.inbound); empty: the policy's mailbox domain,
# else the domain of its unsubscribe address.
HIPPOCRATIC_AUTHSERV_ID = os.environ.get("HIPPOCRATIC_AUTHSERV_ID", "").strip().lower()
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
# The site's own address (scheme, host, port), for every absolute link in mail: sign-up
# confirmations, answers, unsubscribe links and List-Unsubscribe. `make run` sets it from
# HOST and PORT; production must name it.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

if DEBUG:
    SECRET_KEY = SECRET_KEY or _dev_secret_key()
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
    SITE_URL = SITE_URL or "http://127.0.0.1:8000"
else:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("ALLOWED_HOSTS", ALLOWED_HOSTS),
            ("HIPPOCRATIC_MAILBOX_KEY", HIPPOCRATIC_MAILBOX_KEY),
            ("SITE_URL", SITE_URL),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"{', '.join(missing[:-1])}{' and ' if missing[:-1] else ''}{missing[-1]} must be "
            "set in the environment when DEBUG is off. "
            "Set them (SECRET_KEY to a long random string, ALLOWED_HOSTS to the site's "
            "host names, comma-separated, HIPPOCRATIC_MAILBOX_KEY to 32 random bytes in "
            "URL-safe base64, or run `hippocratic keys init`; SITE_URL to the address the "
            "site is served at, such as https://www.example.com), or set HIPPOCRATIC_DEBUG=1 "
            "for development."
        )

if SITE_URL and not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", SITE_URL):
    raise ImproperlyConfigured(
        f"SITE_URL is {SITE_URL!r}: give the site's address with its scheme, such as "
        "https://www.example.com or http://127.0.0.1:8000."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # the API docs from its own static files, never a CDN (DIS-7, VIS-4)
    "django_tasks_db",  # the durable task queue in the database
    *CAPABILITY_APPS,  # hippocratic's own apps, each declaring what it enforces
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The project's own static files (the stylesheet, the data page's proof checker)
    # from STATIC_ROOT, by the web process itself: no proxy set-up, no third party.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A request's audit entries committed together before its response leaves.
    "hippocratic.enforcement.middleware.AuditMiddleware",
    # /healthz and /metrics, before sessions and the visitor log; counts responses.
    "hippocratic.site.operations.OperationsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "hippocratic.enforcement.middleware.DeclaredCookiesMiddleware",
    # Outermost after security: it sees the response the visitor gets.
    "hippocratic.tracking.middleware.PageViewMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Dates and numbers in the visitor's English (Accept-Language); it sets no cookie.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hippocratic.accounts.middleware.RememberMeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # A door's rate limit (site.limits) answered with the 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
]
RATELIMIT_VIEW = "hippocratic.site.views.rate_limited"
# The client's address: REMOTE_ADDR, or behind our own proxy the header it sets (and
# overwrites, so a client cannot choose it): HIPPOCRATIC_CLIENT_IP_HEADER=X-Real-IP with
# deploy/nginx.conf or deploy/Caddyfile. Rate limits and the visitor log read it.
_client_header = os.environ.get("HIPPOCRATIC_CLIENT_IP_HEADER", "").strip()
if _client_header and not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", _client_header):
    raise ImproperlyConfigured(
        f"HIPPOCRATIC_CLIENT_IP_HEADER is {_client_header!r}: give a header name such as X-Real-IP"
    )
CLIENT_IP_META_KEY = (
    "HTTP_" + _client_header.upper().replace("-", "_") if _client_header else "REMOTE_ADDR"
)
RATELIMIT_IP_META_KEY = "hippocratic.tracking.request.client_address"

if os.environ.get("HIPPOCRATIC_RECORDING", "1") == "0":  # visitor logging off
    MIDDLEWARE.remove("hippocratic.tracking.middleware.PageViewMiddleware")

ROOT_URLCONF = "hippocratic.urls"
WSGI_APPLICATION = "hippocratic.wsgi.application"
ASGI_APPLICATION = "hippocratic.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The admin's base_site.html, overridden in the site's design (before the
        # admin's own, which app directories would find first).
        "DIRS": [Path(__file__).resolve().parent / "site" / "admin_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hippocratic.site.context_processors.provider",
                "hippocratic.billing.context_processors.billing",
                "hippocratic.messaging.context_processors.messaging",
                "hippocratic.requests.context_processors.requests",
                "hippocratic.communications.context_processors.communications",
            ],
        },
    },
]

# DATABASE_URL unset or empty: SQLite under var/.
_DATABASE_HELP = (
    "Hippocratic runs on SQLite (sqlite:///path) or PostgreSQL (postgres://user@host:5432/name)."
)
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL", "").strip()
            or f"sqlite:///{VAR_DIR / 'hippocratic.sqlite3'}",
            conn_max_age=_env_number("CONN_MAX_AGE", "60", int),
            conn_health_checks=True,
        )
    }
except ValueError as error:  # dj_database_url.UnknownSchemeError among them
    scheme = os.environ["DATABASE_URL"].strip().partition(":")[0][:20]
    raise ImproperlyConfigured(
        f"DATABASE_URL has a scheme this site cannot use ({scheme!r}): {_DATABASE_HELP}"
    ) from error
# Every statement passes the gate (enforcement.gate): Django's own backends, gated.
if DATABASES["default"].get("ENGINE") not in GATED_ENGINES:
    raise ImproperlyConfigured(
        f"DATABASE_URL names {DATABASES['default'].get('ENGINE')}: {_DATABASE_HELP}"
    )
DATABASES["default"]["ENGINE"] = GATED_ENGINES[DATABASES["default"]["ENGINE"]]
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers carry on while one writer commits; IMMEDIATE takes the
    # write lock at BEGIN so concurrent writers queue instead of failing. secure_delete
    # overwrites what a delete frees: an erased customer's rows (and mailbox key) do
    # not linger in the file's free pages.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The site's words are English; a visitor's browser picks which English writes dates.
LANGUAGES = [("en", "English (US)"), ("en-gb", "English (UK)"), ("en-au", "English (Australia)"),
             ("en-ca", "English (Canada)"), ("en-ie", "English (Ireland)")]  # fmt: skip
FORMAT_MODULE_PATH = ["hippocratic.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "accounts:login"
CSRF_FAILURE_VIEW = "hippocratic.accounts.views.csrf_failure"

# Login throttling (django-axes): five failures lock a user name for an hour.
# Attempts are kept by a pseudonym of the user name only: no address (VIS-4), no
# browser, no form data (accounts.throttling).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "hippocratic.accounts.throttling.no_address"
# A keyed pseudonym of the user name, and no browser or form data (SEC-1, VIS-3).
AXES_USERNAME_CALLABLE = "hippocratic.accounts.throttling.pseudonym"
AXES_HANDLER = "hippocratic.accounts.throttling.MinimalHandler"
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# axes.W006 asks to lock by address too; we lock by user name (which rotating
# user agents or cookies cannot get round) and keep no address (VIS-4).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# collectstatic writes each file under a name holding its hash (site.3f2a….css) and a
# compressed copy; WhiteNoise serves those names with a cache header of ten years
# (`immutable`), so a browser asks once and a new release's files have new names.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Outbound links tell the linked site only our origin (VIS-8).
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Messages live in the session: the cookie storage would set an undeclared cookie (CK-6).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Sessions last as long as the policy declares the session cookie (accounts.sessions),
# and the CSRF cookie gets its declared lifetime from the cookie middleware (CK-6).
SESSION_ENGINE = "hippocratic.accounts.sessions"
CSRF_COOKIE_AGE = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Every page loads only the site's own files: no third-party origin can see a visitor
# (DIS-7, VIS-4). No inline script anywhere; the API docs alone allow inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True

if not DEBUG:
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") != "0"
    # The load balancer and Prometheus may ask gunicorn itself, on loopback, over HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _env_number("SECURE_HSTS_SECONDS", "31536000", int)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False

# Outbound mail (Django 6.1's MAILERS). A local outbox in development; SMTP
# (EMAIL_URL, or EMAIL_HOST and friends) in production unless MAIL_BACKEND names another.
# In development the mail goes to files under var/outbox/, which staff read at
# /mail/outbox/ (`make run` prints the address).
OUTBOX_DIR = VAR_DIR / "outbox"
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "MAIL_BACKEND",
            "django.core.mail.backends.filebased.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
    }
}
if MAILERS["default"]["BACKEND"].endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {"file_path": str(OUTBOX_DIR)}
elif MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    # EMAIL_URL, or EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS / EMAIL_USE_SSL, EMAIL_HOST_USER,
    # EMAIL_HOST_PASSWORD, EMAIL_TIMEOUT (hippocratic.mailconfig); a bad value stops
    # start-up with one line naming it.
    MAILERS["default"]["OPTIONS"] = smtp_options(os.environ)

# Django's cache: the process's memory by default, Redis (shared by every worker
# process and machine) where REDIS_URL is set. It holds reverse-DNS answers.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if (REDIS_URL := os.environ.get("REDIS_URL"))
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
}

# Background work (Django's tasks framework): a durable queue in the database, run by
# `hippocratic worker`; HIPPOCRATIC_TASKS=rq puts it on Redis (REDIS_URL) for RQ workers.
if os.environ.get("HIPPOCRATIC_TASKS") == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("HIPPOCRATIC_TASKS=rq needs REDIS_URL (redis://host:6379/0).")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# Each worker's heartbeat, and how long one may miss it before its running task is
# reclaimed and its half-sent campaign chunk settled (jobs.workers).
HIPPOCRATIC_WORKER_BEAT_SECONDS = _env_number("HIPPOCRATIC_WORKER_BEAT_SECONDS", "5", at_least=0.1)
HIPPOCRATIC_WORKER_TIMEOUT_SECONDS = _env_number(
    "HIPPOCRATIC_WORKER_TIMEOUT_SECONDS", "60", at_least=0.2
)
if HIPPOCRATIC_WORKER_TIMEOUT_SECONDS < 2 * HIPPOCRATIC_WORKER_BEAT_SECONDS:
    raise ImproperlyConfigured(
        "HIPPOCRATIC_WORKER_TIMEOUT_SECONDS must be at least twice "
        "HIPPOCRATIC_WORKER_BEAT_SECONDS (a worker is taken for dead after it)."
    )

# Visitor logging (tracking app). The DNS resolver that answers reverse lookups
# (host or host:port; default: the system's), and the page-view write buffer.
HIPPOCRATIC_TRACKING = {
    "dns_resolver": os.environ.get("HIPPOCRATIC_DNS_RESOLVER", ""),
    "dns_timeout": _env_number("HIPPOCRATIC_DNS_TIMEOUT", "1.0"),
    "buffer_size": 500,
    "flush_seconds": 2.0,
}

# Payments (billing app): the sandbox processor runs locally; Stripe needs its secret
# key in the environment (never in the repository).
HIPPOCRATIC_PAYMENTS = {"processor": "sandbox"}
if os.environ.get("HIPPOCRATIC_PAYMENTS") == "stripe":
    if not os.environ.get("STRIPE_API_KEY"):
        raise ImproperlyConfigured(
            "HIPPOCRATIC_PAYMENTS=stripe needs STRIPE_API_KEY (Stripe's secret key) in the "
            "environment."
        )
    HIPPOCRATIC_PAYMENTS = {"processor": "stripe", "api_key": os.environ["STRIPE_API_KEY"]}

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# Billing (PAY-1, PAY-2): the provider's currency and tax rate, and when a failed
# charge is tried again (days after the first failure); after the last retry the
# customer's services are suspended.
HIPPOCRATIC_BILLING = {
    "currency": os.environ.get("HIPPOCRATIC_CURRENCY", "USD").upper(),
    "tax_rate_percent": os.environ.get("HIPPOCRATIC_TAX_RATE_PERCENT", "0"),
    "retry_after_days": (3, 5, 7),
    "invoice_prefix": os.environ.get("HIPPOCRATIC_INVOICE_PREFIX", "INV"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Card numbers are masked in every line that reaches the console (PAY-1).
    "filters": {"cards": {"()": "hippocratic.billing.logs.MaskCardNumbers"}},
    # HIPPOCRATIC_LOG_FORMAT=json: one JSON object a line (time, level, logger, message,
    # and the exception's trace where there is one), for a log collector.
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["cards"],
            "formatter": "json" if os.environ.get("HIPPOCRATIC_LOG_FORMAT") == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # aiosmtpd logs every command of every session, senders' and recipients' addresses
    # with them: personal data a log must not keep, and most of the LMTP intake's time.
    "loggers": {
        "mail.log": {"level": "WARNING"},
        # Django's own loggers reach the console through the root's handler alone: its
        # default "django" handler printed every worker and reloader line a second time.
        "django": {"level": "INFO", "handlers": [], "propagate": True},
    },
}
