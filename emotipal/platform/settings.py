"""Django settings. Everything that differs between machines comes from the environment (see README)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from emotipal.platform import config
from emotipal.platform.rq_queues import rq_queues

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the repository (emotipal/platform/settings.py)
LOCAL_DIR = Path(os.environ.get("EMOTIPAL_LOCAL_DIR", BASE_DIR / ".local"))

ENV = config.environment()
PRODUCTION = ENV == "production"
DEBUG = config.env_bool("EMOTIPAL_DEBUG", default=not PRODUCTION)
config.check_production_debug(ENV, DEBUG)

SECRET_KEY = config.secret_key(ENV, LOCAL_DIR)
FIELD_ENCRYPTION_KEYS = config.field_keys(ENV, LOCAL_DIR)
# The key of the audit trail's chain of seals (audit/chain.py); empty: derived from SECRET_KEY.
AUDIT_CHAIN_KEY = os.environ.get("EMOTIPAL_AUDIT_CHAIN_KEY", "")
VAPID_PRIVATE_KEY = config.vapid_private_key(ENV, LOCAL_DIR)
VAPID_PUBLIC_KEY = config.vapid_public_key(VAPID_PRIVATE_KEY)
# The contact a push service may write to about our pushes (VAPID "sub" claim).
VAPID_SUBJECT = os.environ.get("EMOTIPAL_VAPID_SUBJECT", "mailto:admin@localhost")
# How long a reminder's link opens it (and records the opening).
REMINDER_LINK_DAYS = int(os.environ.get("EMOTIPAL_REMINDER_LINK_DAYS", "7"))

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("EMOTIPAL_ALLOWED_HOSTS", "").split(",") if h.strip()]
if not PRODUCTION:
    ALLOWED_HOSTS += ["localhost", "127.0.0.1", "[::1]", "testserver"]
SITE_URL = os.environ.get("EMOTIPAL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Only for the API docs page: with it installed, django-ninja serves Swagger UI from our static files.
    "ninja",
    "csp",
    "django_htmx",
    # Before allauth, so that its templates (login page, layouts) override allauth's own.
    "emotipal.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "emotipal.platform",
    "emotipal.platform.audit",
    "emotipal.library",
    "emotipal.homework",
    "emotipal.measures",
    "emotipal.research",
    "emotipal.notifications",
    "emotipal.training",
    "emotipal.supervision",
    "emotipal.support",
    "emotipal.privacy",
    "emotipal.demo",
]

MIDDLEWARE = [
    # First: every log line written while serving the request carries its id.
    "emotipal.platform.middleware_request_id.RequestIdMiddleware",
    # Before anything reads the Host: probes come to the process's own address (middleware_health.py).
    "emotipal.platform.middleware_health.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "emotipal.accounts.middleware.UserLanguageMiddleware",
    # After the language is known (their messages are translated). ApiJsonErrors goes first (outside), so
    # it also turns the 400 for a request body over DATA_UPLOAD_MAX_MEMORY_SIZE, raised in BadInput, into JSON.
    "emotipal.platform.middleware.ApiJsonErrorsMiddleware",
    "emotipal.platform.middleware.BadInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "emotipal.accounts.middleware.RequireStaffMFAMiddleware",
    "emotipal.platform.middleware_pwa.ClearSiteDataOnLogoutMiddleware",
    "emotipal.platform.middleware_cache.NoStoreWhenLoggedInMiddleware",
    # Last (innermost), as django-axes asks: it turns a login refused for a lockout into the lockout page,
    # which then passes out through the others (session, security headers, no-store) like any response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "emotipal.urls"
WSGI_APPLICATION = "emotipal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "emotipal.accounts.navigation.navigation",
            ],
        },
    },
]

# Lower case: not a setting (it holds the password, and Django's debug page masks only names it recognises).
_database_url = config.env_secret("DATABASE_URL").strip()
REDIS_URL = config.env_secret("REDIS_URL").strip()
config.check_production_services(ENV, _database_url, REDIS_URL)

DATABASES = {
    "default": dj_database_url.parse(
        _database_url or f"sqlite:///{LOCAL_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("EMOTIPAL_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue instead of failing: a transaction takes the write lock when it begins (IMMEDIATE), so
    # it never has to upgrade a read lock half way (which SQLite refuses at once with "database is locked"),
    # and a writer waits up to `timeout` seconds for the lock instead of giving up after the default 5.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any backend checks the password (it authenticates no one
    # itself; the standalone variant, because ModelBackend follows anyway).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: e-mail login, no usernames, sign-up only through an invitation.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "emotipal.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False

# Wrong passwords. django-axes locks out one e-mail address *from one client address* after
# EMOTIPAL_LOGIN_FAILURE_LIMIT failures, for EMOTIPAL_LOGIN_COOLOFF_MINUTES (counted in the database, so every
# web process sees the same count; staff list and lift lockouts with `emotipal axes_list_attempts` and
# `emotipal axes_reset_username`). Why the pair:
# - by e-mail alone, anyone who knows a therapist's address could keep them locked out, from anywhere;
# - by client address alone, one person's typos would lock out everyone behind a clinic's shared address,
#   and a botnet would still get the full number of tries from each of its machines.
# What a pair lockout cannot stop, many machines guessing one account, allauth's per-login limit below slows:
# 4x the lockout limit per cool-off, from all addresses together. One address alone is locked out long before
# that, so it takes several machines even to slow someone's login; and the 10 a minute per client address
# slows one address trying many accounts. allauth counts in the cache (shared by all processes, see CACHES).
LOGIN_FAILURE_LIMIT = config.env_int("EMOTIPAL_LOGIN_FAILURE_LIMIT", 5)
LOGIN_COOLOFF_MINUTES = config.env_int("EMOTIPAL_LOGIN_COOLOFF_MINUTES", 15)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,{4 * LOGIN_FAILURE_LIMIT}/{LOGIN_COOLOFF_MINUTES}m/key",
}
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# allauth authenticates with credentials {"email": ..., "password": ...}; its form's field is `login`.
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "emotipal.accounts.lockout.login_of"
AXES_CLIENT_IP_CALLABLE = "emotipal.platform.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "emotipal.accounts.lockout.lockout_response"
# The cool-off runs from the lockout: a try during it is refused but does not start the wait again, so the
# page's "try again in 15 minutes" holds for the person who reads it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Logins and failed logins are in the audit trail already; no second store of who logged in from where.
AXES_DISABLE_ACCESS_LOG = True
# Masked in axes' log lines and in the request data it keeps with a failed attempt.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login"]
# The client's address, for the lockouts, allauth's limits and the API's: REMOTE_ADDR, or, behind this many
# proxies of our own, the address the outermost one saw (platform/client_ip.py).
EMOTIPAL_TRUSTED_PROXY_COUNT = config.env_int("EMOTIPAL_TRUSTED_PROXY_COUNT", 0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = EMOTIPAL_TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "EmotiPal"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates per language on top of Django's own (Spanish "3 de diciembre de 2026", Arabic month names, ...).
FORMAT_MODULE_PATH = ["emotipal.platform.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where `collectstatic` (run by `emotipal serve --production`) writes the files whitenoise serves.
STATIC_ROOT = Path(os.environ.get("EMOTIPAL_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_FROM_EMAIL = os.environ.get("EMOTIPAL_FROM_EMAIL", "EmotiPal <no-reply@emotipal.invalid>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = config.env_secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = config.env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Background work: the database backend by default, RQ on Redis when REDIS_URL is set (same task code).
RQ_QUEUES = rq_queues(
    REDIS_URL or "redis://127.0.0.1:6379/0", default_timeout=600
)  # one pool: platform/rq_queues.py
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# /readyz answers 503 when more tasks than this are over a minute late (platform/health.py).
READY_MAX_BACKLOG = config.env_int("EMOTIPAL_READY_MAX_BACKLOG", 1000, minimum=0)
# Where the footer offers the program's source (AGPL-3.0 section 13); empty: the archive /source.tar.gz, built
# from the files this process runs (platform/source.py).
EMOTIPAL_SOURCE_URL = os.environ.get("EMOTIPAL_SOURCE_URL", "").strip()

# The cache holds what every web process must agree on: allauth's login rate limits and the TOTP codes already
# used (a code is good once), and the API's request counts. Django's default, each process's own memory, lets
# every gunicorn worker allow the full number of tries. So: Redis when REDIS_URL is set (keys prefixed, apart
# from RQ's), else a table in the database, made by `migrate` (a post_migrate hook in platform/apps.py).
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "emotipal",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "emotipal_cache",
            # Past this many entries Django deletes the expired ones, then a third of the rest, counts of an
            # attack in progress included: far above what a clinic's logins and API calls keep (each count
            # expires with its window).
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Sessions stay in the database (they survive a Redis restart: nobody is logged out by it), read through the
# cache when it is Redis: one query less on every request, and still one store for all web processes (a write
# goes to both; logging out deletes both).
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# API requests per personal access token, per signed-in user (browser session), and per client address for
# requests that authenticate neither way (accounts/api_throttle.py). Over it: 429 with Retry-After.
API_THROTTLE_RATES = {
    "token": config.env_rate("EMOTIPAL_API_RATE_TOKEN", "120/m"),
    "session": config.env_rate("EMOTIPAL_API_RATE_SESSION", "120/m"),
    "anon": config.env_rate("EMOTIPAL_API_RATE_ANON", "30/m"),
}

# Research exports: each in its own folder under this root (never under static or media: downloads go through
# the study's access check).
EMOTIPAL_EXPORT_ROOT = Path(os.environ.get("EMOTIPAL_EXPORT_ROOT", LOCAL_DIR / "exports"))

INVITATION_DAYS_VALID = int(os.environ.get("EMOTIPAL_INVITATION_DAYS", "7"))

# Each chart's Vega-Lite spec checked against the schema as it is built: in development and in the tests (every
# page test then checks the charts it renders), not in production, where it was a third of a client page's time
# (bench_pages) for specs whose shape depends only on the code (platform/charts.py).
EMOTIPAL_VALIDATE_CHARTS = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag; keep default
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = config.env_bool("EMOTIPAL_SSL_REDIRECT", True)
    # A load balancer checks health over plain HTTP inside the network; a 301 would count as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # Trusted only where a proxy in front sets it (and strips what clients send): EMOTIPAL_PROXY_SSL_HEADER.
    SECURE_PROXY_SSL_HEADER = config.proxy_ssl_header(os.environ.get("EMOTIPAL_PROXY_SSL_HEADER", ""))
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("EMOTIPAL_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp) on every response: scripts only from this server and with the page's
# nonce, never inline or eval'd (charts use Vega's expression interpreter, static/js/charts.js); styles only
# from our stylesheet (no style attributes: tests/platform/test_content_security_policy.py scans the
# templates). The analysis report sets its own, stricter policy (research/views/analyses.py) and keeps it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
    }
}

# Logs go to stderr; in production as JSON lines (platform/jsonlog.py: time, level, logger, message, request
# id), which log collectors read one event a line. EMOTIPAL_LOG_FORMAT=text|json chooses otherwise.
LOG_FORMAT = config.log_format(PRODUCTION)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "emotipal.platform.jsonlog.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("EMOTIPAL_LOG_LEVEL", "WARNING")},
}

# --- Sessions and API tokens (issue 14): idle timeout, "remember me", re-authentication, token lifetime -------
# Kept in one block of its own. The idle timeout itself is a clinic setting (Clinic.staff_idle_minutes and
# client_idle_days); its middleware needs the session, the user and messages, so it goes right after messages.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "emotipal.accounts.idle.IdleTimeoutMiddleware",
)
# The login form asks "Keep me logged in on this device": unticked, the session ends when the browser closes;
# ticked, it lasts up to SESSION_COOKIE_AGE (two weeks, Django's default), the idle timeout still applying.
ACCOUNT_SESSION_REMEMBER = None
# Exports, role changes and new API tokens need a login (or a confirmed password) this recent (accounts/reauth.py).
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# How long a new API token is valid when its maker does not say, and the most they may choose (days).
API_TOKEN_DAYS, API_TOKEN_MAX_DAYS = config.api_token_days(
    os.environ.get("EMOTIPAL_API_TOKEN_DAYS", "90"), os.environ.get("EMOTIPAL_API_TOKEN_MAX_DAYS", "365")
)

# Last, so that every earlier refusal keeps its own message: the address every e-mailed link starts with.
config.check_production_site_url(ENV, os.environ.get("EMOTIPAL_SITE_URL"))
