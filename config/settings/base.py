"""Settings shared by every environment. Values come from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # Before django.contrib.admin so that its history buttons replace the admin's own.
    "pghistory.admin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "pgtrigger",
    "pghistory",
    "axes",
    # Two-factor sign-in: an authenticator app (TOTP) and single-use recovery codes (accounts/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # The project's apps, lowest first: each may import only those above it here.
    "regions",
    "accounts",
    "inspections",
    "casework",
    "ratings",
    "trackers",
    "documents",
    "dashboards",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below) on every response,
    # static files included: before WhiteNoise, which answers those without going further.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session has passed its second factor.
    "django_otp.middleware.OTPMiddleware",
    # Cache-Control: no-store on everything a view answers (static files, answered above, keep theirs).
    "web.middleware.NoStoreMiddleware",
    # Before any view: NUL and control characters in the address are refused with 404/400 (a
    # query would fail on them), and an empty 405 gets the GOV.UK page. After authentication,
    # so the error pages show the user's navigation.
    "web.middleware.HostileInputMiddleware",
    "web.middleware.MethodNotAllowedPageMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (login_not_required):
    # a new view cannot be left open by a forgotten decorator. DRF views opt out and authenticate themselves.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # And then its second factor (accounts/two_factor.py): a signed-in session that has not passed
    # it is sent to enter a code or set an app up, from every page but those; the API answers 403.
    "web.middleware.TwoFactorMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.service",
            ],
        },
    },
]

# A web process keeps its connection for up to a minute rather than opening one per request, and
# checks it before reusing it (CONN_HEALTH_CHECKS): after PostgreSQL restarts, the next request opens
# a new connection instead of failing on the dead one, so the app recovers without being restarted
# (tests/chaos/test_postgres_restart.py). Celery closes its worker's connection after every task.
DATABASE_CONNECTIONS = {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
DATABASES = {"default": {**env.db("DATABASE_URL"), **DATABASE_CONNECTIONS}} if env("DATABASE_URL", default="") else {}
# The role the service connects as (docs/decisions/0008): it owns nothing, so it cannot TRUNCATE,
# ALTER or disable triggers, and may only add history rows. `migrate`, run as the tables' owner,
# creates it if needed and grants its rights; DATABASE_APP_PASSWORD, when set, becomes its password.
DATABASE_APP_USER = env("DATABASE_APP_USER", default="probation_app")
DATABASE_APP_PASSWORD = env("DATABASE_APP_PASSWORD", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out email address and IP address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Email sign-in that also refuses the published demo password when DEMO_LOGINS_ALLOWED is off.
    "accounts.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "web:home"

# Password guessing (django-axes, docs/decisions/0007): after AXES_FAILURE_LIMIT failed sign-ins
# for one email address from one IP address, none more than AXES_COOLOFF_TIME after the last, that
# pair is refused until AXES_COOLOFF_TIME has passed since its latest attempt. Keyed on the pair, so
# a guesser elsewhere cannot lock a colleague out, nor one person's typos an office sharing an
# address. Reading the client's address behind a proxy: production.py.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Cleared only by a complete sign-in, second factor included (accounts/two_factor.py), not by the
# password alone: wrong codes count here too, and signing in again must not start them over.
AXES_RESET_ON_SUCCESS = False
# The sign-in form's field; the admin's "username" field is read too (accounts/lockout.py).
AXES_USERNAME_FORM_FIELD = "email"
# Email addresses are matched ignoring case, as the email backend signs in.
AXES_USERNAME_CALLABLE = "accounts.lockout.attempt_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
# Every failed attempt gets a row of its own too, for the admin to see who was guessing and when.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# What a failed attempt's record may not show: the password, and a wrong code from the two-factor pages.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Two-factor sign-in (django-otp, docs/decisions/0012). Required for every account when True: an
# account without an authenticator app is taken to set one up at its next sign-in. Off here, so in
# development and tests (where the demo accounts sign in with their password alone); production.py
# turns it on. An account that has set an app up is asked for a code wherever it signs in.
OTP_REQUIRED = False
# The name an authenticator app shows beside the account's email address.
OTP_TOTP_ISSUER = "HM Inspectorate of Probation"
# django-otp's own limit on guessing, per device and whatever the address: after n wrong codes in a
# row, the next is not checked for 2^(n-1) seconds (1, 2, 4, … s) until a right one.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The admin lists devices (to remove a lost phone's) but never shows a secret key or a recovery code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only, and no
# inline script or style anywhere, so an injected <script> or style attribute does nothing. Enforced in
# every environment, so the browser tests meet it too (they fail on any violation). One page relaxes
# it, narrowly: the API's ReDoc reference (api/urls.py says why).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# Django's database sessions, but a session that cannot be saved because PostgreSQL is unreachable is
# the 500 page, not a 400 saying the session was deleted (web/sessions.py).
SESSION_ENGINE = "web.sessions"
# With JavaScript on, pages warn this long before the session expires (static/js/session-timeout.js).
SESSION_TIMEOUT_WARNING_SECONDS = env.int("SESSION_TIMEOUT_WARNING_SECONDS", default=120)

# Dashboards: a group of fewer cases than this is shown as "fewer than N" (and "[c]" in CSV),
# never as a count or percentage, so that no one can be recognised from it.
DASHBOARD_SMALL_NUMBER_THRESHOLD = env.int("DASHBOARD_SMALL_NUMBER_THRESHOLD", default=10)

# Celery: a real broker when REDIS_URL is set; otherwise tasks run in-process,
# so `make run` needs nothing but Python.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Sending a task while Redis is unreachable gives up at once (one immediate retry) rather than after
# kombu's default 2 s + 4 s: a document's row is written first and the sweep sends it later, so the
# page answers without waiting (tests/chaos/test_redis_down.py). The worker and beat keep retrying
# their own connections as before.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0}

# The cache (the dashboards' aggregates, keyed by a version of the data: dashboards/cache.py):
# Redis when there is one, shared by every web process; otherwise this process's memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A pool process killed mid-task (out of memory, say) hands its message back to the queue rather
# than acknowledging it as failed, so another process runs the task again at once. The document
# task is safe to run again, and gives up on a job whose worker keeps dying (documents/tasks.py).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Each morning the owners of actions due within 7 days or overdue get a reminder (trackers/reminders.py).
    "trackers-action-reminders": {
        "task": "trackers.tasks.send_action_reminders",
        "schedule": crontab(hour=7, minute=0),  # CELERY_TIMEZONE: Europe/London
    },
    # Document jobs left queued (the broker was down) or running without a worker are sent again.
    "documents-sweep-jobs": {"task": "documents.sweep_document_jobs", "schedule": timedelta(minutes=1)},
}
# Generated documents (documents/tasks.py): a queued job is swept after this long, a running one as
# soon as its worker is gone (no database session holds its lock), and failed attempts retry after 5 s, 10 s.
DOCUMENT_JOB_SWEEP_AFTER_SECONDS = 300
DOCUMENT_JOB_RETRY_BACKOFF_SECONDS = 5

# Email: EMAIL_URL (django-environ, e.g. smtp+tls://user:password@smtp.example.com:587), or the console
# by default, which prints each email where the worker logs. DEFAULT_FROM_EMAIL is the sender.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="HM Inspectorate of Probation <no-reply@localhost>")

# The admin's all-events page scans every history table; per-object history is what people use.
PGHISTORY_ADMIN_ALL_EVENTS = False

# The analysts' API (api/, docs/decisions/0011): read-only, tokens or the signed-in session,
# JSON or streamed CSV, one error shape, a rate per token.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.ExpiringTokenAuthentication",
        # The signed-in session, once it has passed its second factor (a token needs none).
        "api.auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsAPIReader"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "api.csv.CSVRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env("API_RATE", default="600/minute")},
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Probation inspection case records API",
    # The analysts' guide (docs/api.md: tokens, filters, paging, CSV, errors, the rate, pandas and R)
    # is the schema's description, so /api/v1/docs/ opens on it.
    "DESCRIPTION": (BASE_DIR / "docs" / "api.md").read_text(encoding="utf-8"),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the guide describe the API and hold no data: anyone may read them.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MappaEnum": "api.views.MAPPA_CHOICES",
        "RatingEnum": "inspections.choices.Rating",
        "ActionStatusEnum": "trackers.models.ActionStatus",
        "InspectionStatusEnum": "api.views_results.INSPECTION_STATUSES",
    },
    # Every operation's 400/401/403/404/406/429 in the one error shape (api/errors.py); CSV as text.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.document_errors"],
}
# Tokens are stored hashed (django-rest-knox), expire, and can be revoked one by one.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=30)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}
# The key of the case keys: an HMAC of the inspection and case reference. Without it a case key
# cannot be turned back into a case reference. Defaults to one derived from the secret key.
API_PSEUDONYM_KEY = env("API_PSEUDONYM_KEY", default="")

# Demo accounts share one published password; production settings refuse it.
DEMO_PASSWORD = "Demo-Inspect-2023!"
DEMO_LOGINS_ALLOWED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # pgserver logs every process exit at INFO, and axes every successful sign-in: only
    # their warnings are worth reading (axes logs failed sign-ins at WARNING).
    # WeasyPrint and fontTools log every layout step at INFO: only their warnings are worth reading.
    "loggers": {
        "pgserver": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
