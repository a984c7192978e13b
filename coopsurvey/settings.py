"""Settings for coopsurvey, read from the environment through coopsurvey.env.

Unset variables give the embedded defaults: SQLite in the project directory,
Celery tasks run in-process, emails printed to the console. `.env.example`
documents every variable. Each setting is written once, in its section; code reads
them through ``django.conf.settings`` when it runs (never at import), so tests can
override them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from coopsurvey.env import (
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
    oidc_providers,
    oidc_socialaccount_settings,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
SITE_URL = env_url("SITE_URL", schemes={"http", "https"}, default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])


# drf-spectacular's extension for allauth's headless API (which this project does not use) imports a class
# allauth 65 deprecates; the schema is generated with --fail-on-warn, so this one third-party notice is muted.
warnings.filterwarnings(
    "ignore", message=r"allauth\.headless\.tokens\.base\.AbstractTokenStrategy is deprecated", category=UserWarning
)
# --------------------------------------------------------------------------------------------------
# Core: applications, middleware, templates

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # Sign-in (issue 20): TOTP two-factor with recovery codes, institutional sign-in through OpenID Connect.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "core",
    "elicitation",
    "aggregation",
    "api",
    "exports",
    "quantities",  # quantity questions, IDEA and the classical model (issue 19)
]

MIDDLEWARE = [
    "core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.CoordinatorTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.two_factor.TwoFactorRequiredMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "coopsurvey.urls"
WSGI_APPLICATION = "coopsurvey.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --------------------------------------------------------------------------------------------------
# Database

# DATABASE_URL, or an SQLite file in the project directory.
DATABASE_URL = env_url(
    "DATABASE_URL",
    schemes={"postgres", "postgresql", "pgsql", "sqlite"},
    default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, whose health check asks the socket before it sends SELECT 1 (core/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait instead of failing at once when two writers meet (runserver threads, tasks).
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
elif env_bool("DB_PREPARED_STATEMENTS", True):
    # The expert's hot path (core.prepared) is prepared once per connection and runs a generic plan, not one
    # planned for each tap's values (that planning was 1.7 ms of the save's 2.5 ms in PostgreSQL). Only the
    # statements core.prepared asks for are prepared: Django's own queries bind client-side, and the
    # threshold keeps psycopg from preparing any other. Off (0) behind a pooler that cannot keep them.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["prepare_threshold"] = 2**31 - 1
    options["options"] = " ".join(filter(None, [options.get("options"), "-c plan_cache_mode=force_generic_plan"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------------------------------
# Celery and background jobs

# Redis is the broker and the shared cache. Unset: tasks run in-process (the demo's embedded mode).
REDIS_URL = env_url("REDIS_URL", schemes={"redis", "rediss"})
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", schemes={"redis", "rediss", "amqp"}, default=REDIS_URL)
# Unset broker: tasks run in-process. Tests force eager mode and start a real worker where one is the subject.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
if not CELERY_BROKER_URL and not CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured("CELERY_TASK_ALWAYS_EAGER=0 needs REDIS_URL or CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A task taken by a worker that died without a word (SIGKILL, lost machine) goes back to the queue after
# this many seconds. The job's row knows sooner (its lease runs out, JOBS_LEASE_SECONDS) and the sweep
# sends it again; a late redelivery finds the job finished and does nothing.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 3,
    "socket_connect_timeout": 3,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often workers look for such tasks (kombu's default is every 100 s): often enough, for a
    # short timeout, that the timeout means what it says.
    "unacked_restore_interval": min(10, CELERY_VISIBILITY_TIMEOUT),
    "unacked_restore_throttle": 1 if CELERY_VISIBILITY_TIMEOUT < 100 else 10,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# No result backend: every job keeps its state in its row, and nothing waits on a task's return value.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A send must fail fast when Redis is down and leave the job to the sweep, not hold the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TIMEZONE = "UTC"

# Background jobs (coopsurvey.jobs, docs/operations.md). Seconds between sweeps of the job rows: due jobs
# are sent, lost ones queued again. Coalesced live aggregations wait in the database for their sweep.
JOBS_SWEEP_SECONDS = env_int("JOBS_SWEEP_SECONDS", 10, minimum=1)
JOBS_SWEEP_BATCH = env_int("JOBS_SWEEP_BATCH", 500, minimum=1)
# A running job's heartbeat renews its lease every third of this; a lease that ran out means the worker died.
JOBS_LEASE_SECONDS = env_int("JOBS_LEASE_SECONDS", 60, minimum=3)
# A job sent this long ago and still not started lost its message (a broker restarted without its data).
JOBS_RESEND_AFTER_SECONDS = env_int("JOBS_RESEND_AFTER_SECONDS", 600, minimum=5)
# Soft time limit of each kind of job, in seconds (the hard limit is a tenth more, at least 10 s more).
JOB_TIME_LIMITS = {
    "aggregation": env_int("JOB_TIME_LIMIT_AGGREGATION", 900, minimum=5),
    "export": env_int("JOB_TIME_LIMIT_EXPORT", 3600, minimum=5),
    "email": env_int("JOB_TIME_LIMIT_EMAIL", 120, minimum=5),
    "webhook": env_int("JOB_TIME_LIMIT_WEBHOOK", 60, minimum=5),
}
# Webhooks (docs/webhooks.md): how long one delivery waits for the receiver, and whether endpoints may be on
# private, loopback or link-local addresses (refused by default: a coordinator must not reach the internal net).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# Aggregation: the stale-results sweep queues rounds whose stored results do not match their ratings.
AGGREGATION_SWEEP_SECONDS = env_int("AGGREGATION_SWEEP_SECONDS", 300, minimum=10)
# A queued aggregation not sent to the broker after this long means the broker was down (dashboards say so).
AGGREGATION_DISPATCH_GRACE_SECONDS = env_int("AGGREGATION_DISPATCH_GRACE_SECONDS", 30, minimum=0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sweep-jobs": {"task": "coopsurvey.sweep_jobs", "schedule": float(JOBS_SWEEP_SECONDS)},
    "aggregation-sweep": {"task": "aggregation.sweep_stale_rounds", "schedule": float(AGGREGATION_SWEEP_SECONDS)},
    # Rounds: close rounds at their deadline, and queue the automatic reminders before it.
    "close-due-rounds": {
        "task": "elicitation.close_due_rounds",
        "schedule": env_int("ROUND_CLOSE_CHECK_SECONDS", 60, minimum=5),
    },
    "remind-due-rounds": {
        "task": "elicitation.remind_due_rounds",
        "schedule": env_int("ROUND_REMINDER_CHECK_SECONDS", 900, minimum=30),
    },
    # Draft rounds set to open at a time: opened, and their invitations queued, within this many seconds.
    "open-scheduled-rounds": {
        "task": "elicitation.open_scheduled_rounds",
        "schedule": env_int("ROUND_OPEN_CHECK_SECONDS", 60, minimum=5),
    },
}

# --------------------------------------------------------------------------------------------------
# Cache

# Rate limits, coalescing, health: CACHE_URL, else Redis when configured, else in-process memory.
CACHE_URL = env_url("CACHE_URL", schemes={"redis", "rediss", "locmem"}, default=REDIS_URL or "locmem://")
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "cs"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --------------------------------------------------------------------------------------------------
# Accounts

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "study-list"
LOGOUT_REDIRECT_URL = "login"

# Sign-in (docs/signin.md). Local passwords (on for small installations; 0 leaves only institutional
# sign-in), two-factor required of every coordinator before any page (TOTP), the OpenID Connect
# providers (a JSON list), and whether a first institutional sign-in may create an account.
SIGNIN_PASSWORDS = env_bool("SIGNIN_PASSWORDS", default=True)
SIGNIN_REQUIRE_2FA = env_bool("SIGNIN_REQUIRE_2FA", default=False)
OIDC_PROVIDERS = oidc_providers("OIDC_PROVIDERS")
OIDC_SIGNUP = env_bool("OIDC_SIGNUP", default=False)
# The key that encrypts TOTP secrets at rest; derived from SECRET_KEY unless given.
MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY")
ACCOUNT_ADAPTER = "core.signin.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "core.signin.SocialAccountAdapter"
MFA_ADAPTER = "core.signin.MFAAdapter"
MFA_FORMS = {"authenticate": "core.signin.AuthenticateForm", "reauthenticate": "core.signin.AuthenticateForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_NOTIFICATIONS = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("ACCOUNT_REAUTHENTICATION_TIMEOUT", 300, minimum=30)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "coopsurvey")
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TRUST_ENABLED = False
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True  # an existing account with the provider's verified address
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_PROVIDERS = oidc_socialaccount_settings(OIDC_PROVIDERS)

# --------------------------------------------------------------------------------------------------
# Languages and time

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
FORMAT_MODULE_PATH = ["coopsurvey.formats"]  # one date style per language, 24-hour times
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------------------------------
# Static and media files

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves collected, hashed files; development and tests serve straight from static/ and packages.
STATIC_FROM_SOURCE = env_bool("STATIC_FROM_SOURCE", default=DEBUG)
WHITENOISE_USE_FINDERS = STATIC_FROM_SOURCE
WHITENOISE_AUTOREFRESH = STATIC_FROM_SOURCE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if STATIC_FROM_SOURCE
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

# --------------------------------------------------------------------------------------------------
# Request size and rate limits

# Refuse large bodies before reading them into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Any request body larger than this is refused with 413 before it is read (CSV imports included).
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 10 * 1024 * 1024, minimum=1024)
LOGIN_RATE_LIMIT = env_int(
    "LOGIN_RATE_LIMIT", 10, minimum=1
)  # failed or not, per client and 5 minutes (site and admin)
# Per 5 minutes: refused link openings and API invitations per client address (guessing stops here);
# openings of one link; and all openings per client address, high so a panel behind one NAT gets in.
LINK_RATE_LIMIT = env_int("LINK_RATE_LIMIT", 30, minimum=1)
LINK_OPENINGS_PER_LINK = env_int("LINK_OPENINGS_PER_LINK", 10, minimum=1)
LINK_OPENINGS_PER_ADDRESS = env_int("LINK_OPENINGS_PER_ADDRESS", 1000, minimum=1)
# "Request a new link" form: per client per hour, and (silently) per email address per hour.
LINK_REQUEST_RATE_LIMIT = env_int("LINK_REQUEST_RATE_LIMIT", 10, minimum=1)
LINK_REQUEST_PER_ADDRESS = env_int("LINK_REQUEST_PER_ADDRESS", 3, minimum=1)
# Password reset: requests per client per hour (429), and emails per address per hour (silently none past it).
PASSWORD_RESET_RATE_LIMIT = env_int("PASSWORD_RESET_RATE_LIMIT", 10, minimum=1)
PASSWORD_RESET_PER_ADDRESS = env_int("PASSWORD_RESET_PER_ADDRESS", 3, minimum=1)

# --------------------------------------------------------------------------------------------------
# Email

EMAIL_SETTINGS = email_settings("EMAIL_URL")
vars().update(EMAIL_SETTINGS)
# With DEBUG off, printing emails to the console (EMAIL_URL unset or console://) is a mistake unless
# asked for: invitations would reach no one, and their link secrets would sit in the worker's log
# (redacted there since, but the experts would still get nothing).
EMAIL_CONSOLE_ALLOWED = env_bool("EMAIL_CONSOLE_ALLOWED", default=False)
if not DEBUG and EMAIL_SETTINGS["EMAIL_BACKEND"] == "core.mail.ConsoleEmailBackend" and not EMAIL_CONSOLE_ALLOWED:
    raise ImproperlyConfigured(
        "EMAIL_URL is unset or console:// with DEBUG off: emails (with experts' personal links) would be printed "
        "to the log instead of sent. Set EMAIL_URL=smtp://user:password@host:587?tls=1, or EMAIL_CONSOLE_ALLOWED=1 "
        "to print them on purpose (links redacted)."
    )
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "coopsurvey <noreply@localhost>")

# --------------------------------------------------------------------------------------------------
# Security

# HTTPS=1 turns on everything that assumes TLS in front of the app.
HTTPS = env_bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14, minimum=60)
# Sessions live in the database. SESSION_CACHE_SECONDS > 0 (an operator's choice, docs/security.md) reads them
# from a shared cache (Redis) written through to the database (core.sessions): one statement less per request,
# at the price that a session ended while Redis was unreachable may come back for that many seconds. A
# per-process cache would let one worker keep a session another ended, so without Redis they stay in the DB.
SESSION_CACHE_SECONDS = env_int("SESSION_CACHE_SECONDS", 0, minimum=0)
SESSION_ENGINE = "core.sessions" if CACHE_URL.startswith("redis") and SESSION_CACHE_SECONDS else "core.db_sessions"

# --------------------------------------------------------------------------------------------------
# Health

# /healthz asks for a ping answer no older than this.
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 60, minimum=5)

# --------------------------------------------------------------------------------------------------
# REST API (api/)

# Personal tokens besides the session; service errors as JSON with field errors.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies nested deeper than any request of ours are a 400 (api/parsers.py); forms and uploads as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "coopsurvey API",
    "DESCRIPTION": "Delphi studies on international cooperation in AI safety research.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name for the language choices that studies and experts share.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "coopsurvey.settings.LANGUAGES",
        "CriterionKindEnum": "elicitation.models.Criterion.Kind",
        "EmailJobKindEnum": "elicitation.models.EmailJob.Kind",
        "FileFormatEnum": "exports.models.ExportJob.Format",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.closed_request_bodies",
    ],
}

# --------------------------------------------------------------------------------------------------
# Rounds and exports

# Files of export jobs live here; downloads go through the app, never a public URL.
EXPORTS_ROOT = Path(env_str("EXPORTS_ROOT", str(MEDIA_ROOT / "exports")))
EXPORT_CSV_CHUNK_ROWS = env_int("EXPORT_CSV_CHUNK_ROWS", 2000, minimum=100)

# --------------------------------------------------------------------------------------------------
# Logging

# Personal link tokens (/e/<token>/) never reach the logs: Django's request and server loggers and the
# console handler rewrite them (core.link_redaction); gunicorn uses coopsurvey.gunicorn_logging.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_link_tokens": {"()": "core.link_redaction.RedactLinkTokens"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_link_tokens"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "coopsurvey.security": {"level": "INFO"},
        "django.server": {"filters": ["redact_link_tokens"]},
        "django.request": {"filters": ["redact_link_tokens"]},
    },
}
