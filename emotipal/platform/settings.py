"""Django settings. Everything that differs between machines comes from the environment (see README)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from emotipal.platform import config

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
    "django_htmx",
    # Before allauth, so that its templates (login page, layouts) override allauth's own.
    "emotipal.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
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
    "emotipal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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

DATABASES = {
    "default": dj_database_url.parse(
        config.env_secret("DATABASE_URL").strip() or f"sqlite:///{LOCAL_DIR / 'db.sqlite3'}",
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
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
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
STATIC_ROOT = BASE_DIR / "staticfiles"
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
REDIS_URL = config.env_secret("REDIS_URL").strip()
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Research exports: each in its own folder under this root (never under static or media: downloads go through
# the study's access check).
EMOTIPAL_EXPORT_ROOT = Path(os.environ.get("EMOTIPAL_EXPORT_ROOT", LOCAL_DIR / "exports"))

INVITATION_DAYS_VALID = int(os.environ.get("EMOTIPAL_INVITATION_DAYS", "7"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag; keep default
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = config.env_bool("EMOTIPAL_SSL_REDIRECT", True)
    # Trusted only where a proxy in front sets it (and strips what clients send): EMOTIPAL_PROXY_SSL_HEADER.
    SECURE_PROXY_SSL_HEADER = config.proxy_ssl_header(os.environ.get("EMOTIPAL_PROXY_SSL_HEADER", ""))
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("EMOTIPAL_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
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
