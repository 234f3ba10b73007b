"""Settings for the care-leaver employment schemes product.

Everything that differs between a laptop, CI and production comes from environment variables
(a `.env` file beside manage.py is read too), through django-environ's typed helpers, with safe
defaults: SQLite and an embedded broker when nothing is set, DEBUG off unless asked for.
See docs/configuration.md (every variable) and docs/interfaces.md section 6.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Local state for the embedded defaults: SQLite file, broker folders, file cache, export files.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# Required to serve when DEBUG is off: careleavers/wsgi.py refuses to start without it and `check --deploy`
# reports it. Commands that sign nothing (makemigrations, migrate) run without one.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-do-not-use-in-production" if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "django_celery_beat",
    "axes",
    "schemes",
    "placements",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "careleavers.urls"
WSGI_APPLICATION = "careleavers.wsgi.application"

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
                "careleavers.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'careleavers.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Serving, each process keeps its connection for a minute instead of opening one per request; a kept connection
# is checked before a request reuses it. Nothing is kept on a connection between transactions (no prepared
# statements), so a transaction-mode pooler (PgBouncer) may stand in between. The development server (DEBUG)
# starts a thread per request, so there each request opens its own.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0 if DEBUG else 60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Exports (reporting/exports): files are written under EXPORTS_ROOT, a private folder that no URL serves
# (downloads go through /exports/, which checks who may see them), and removed after the retention period.
EXPORTS_ROOT = Path(env.str("EXPORTS_ROOT", default=str(VAR_DIR / "exports")))
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=90)
# The longest an export may run: past it the export stops and is recorded as failed, in words (Celery's soft
# limit); a worker process still busy a little later is killed (the hard limit).
EXPORT_TIME_LIMIT_SECONDS = env.int("EXPORT_TIME_LIMIT_SECONDS", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = EXPORT_TIME_LIMIT_SECONDS
CELERY_TASK_TIME_LIMIT = EXPORT_TIME_LIMIT_SECONDS + max(5, EXPORT_TIME_LIMIT_SECONDS // 10)
# Scheduled exports fire on the first day after their period, at this hour in UTC (beat works in UTC).
EXPORT_SCHEDULE_HOUR_UTC = env.int("EXPORT_SCHEDULE_HOUR_UTC", default=6)
# A schedule is overdue when its last period has no finished run this long after it fired.
EXPORT_OVERDUE_AFTER_SECONDS = env.int("EXPORT_OVERDUE_AFTER_SECONDS", default=3 * 60 * 60)
# Beat records that it is alive this often; /health/ reports it stopped after BEAT_HEARTBEAT_MAX_AGE_SECONDS.
BEAT_HEARTBEAT_SECONDS = env.int("BEAT_HEARTBEAT_SECONDS", default=30)
BEAT_HEARTBEAT_MAX_AGE_SECONDS = env.int("BEAT_HEARTBEAT_MAX_AGE_SECONDS", default=5 * 60)
# Tests only (tests/reporting/test_worker.py): seconds an export waits after writing its temporary file and
# before checking and moving it, so a test can kill the worker at that point. Always 0 outside those tests.
EXPORT_TEST_PAUSE_SECONDS = env.float("EXPORT_TEST_PAUSE_SECONDS", default=0)

# Redis, when configured, is both the Celery broker and the cache. Without it the product runs on an
# embedded default: a file-system broker and a file-based cache that web, worker and beat all share.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # django-redis: one redis-py client per process, kept (docs/decisions/0057).
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Services sharing one Redis database keep their cache apart by prefix (tests give their workers theirs).
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default=""),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # Redis hands a task nobody acknowledged to another worker after this long, so it must outlast the
        # longest export (or a slow export would run twice at once; reporting/checks.py refuses a shorter one);
        # a dead worker's task waits this long.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=2 * CELERY_TASK_TIME_LIMIT),
        # How often a worker looks for such abandoned tasks (kombu's default sweep is every 100 s).
        "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL_SECONDS", default=60),
        "unacked_restore_throttle": 1,
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "polling_interval": 0.2,  # how often the folders are looked at: a worker's answer to /health/'s ping
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "careleavers.beat:DatabaseScheduler"  # django-celery-beat's, with a heartbeat
# Beat works in UTC, which has no clock changes to skip or repeat an hour; periods are worked out in London
# time inside the tasks (reporting/exports/periods.py).
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# Fixed jobs, written into the database schedule when beat starts (scheduled exports are added there too).
CELERY_BEAT_SCHEDULE = {
    "remove-abandoned-uploads": {"task": "placements.tasks.remove_abandoned_uploads", "schedule": 5 * 60},
    # Kept figures also lapse with the day (it is in their keys) and after STATS_CACHE_SECONDS, with no change
    # of records to warm them again: once an hour, what lapsed is worked out before a viewer asks (0087).
    "warm-dashboards": {"task": "reporting.warm_dashboards", "schedule": crontab(minute=1)},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Work that must not be lost or doubled: a task is acknowledged only when it has finished, goes back to the
# queue if its worker dies, and each worker process holds one task at a time. Runs are also unique in the
# database (reporting.ExportRun), since a broker delivers at least once, never exactly once.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # no result backend: progress and errors are read from the run records
CELERY_RESULT_EXPIRES = None  # so beat adds no daily clean-up of a result backend there is not
CELERY_WORKER_SEND_TASK_EVENTS = False

# Email (scheduled exports tell their recipients when a file is ready): the console by default; SMTP from
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.gov.uk:587 (django-environ's email URL).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="care-leaver-schemes@example.gov.uk")
# Where links in emails point: the address people use to reach the service.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first (refuses a locked-out sign-in before any password is checked), then Django's ModelBackend with
# each user's permissions kept in the cache until they change (schemes/backends.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "schemes.backends.ModelBackend"]
# Sign-in lockout (docs/interfaces.md section 8; careleavers/lockout.py, docs/decisions/0024): 10 wrong passwords for
# one account, or SIGN_IN_ADDRESS_FAILURE_LIMIT from one address, lock sign-in for SIGN_IN_LOCKOUT_MINUTES;
# failures are forgotten once that long passes without one.
# Administrators unlock in the admin (Axes > Access attempts: delete) or with `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = 10
SIGN_IN_ADDRESS_FAILURE_LIMIT = env.int("SIGN_IN_ADDRESS_FAILURE_LIMIT", default=100)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # this order: SignInFailureHandler reads them so
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=30))
AXES_HANDLER = "careleavers.lockout.SignInFailureHandler"
AXES_LOCKOUT_CALLABLE = "careleavers.lockout.locked_out_response"
AXES_VERBOSE = False  # no banner on every command; failures and lockouts are still logged
# The client's address is REMOTE_ADDR unless the service sits behind TRUSTED_PROXY_COUNT proxies of its own,
# which write X-Forwarded-For (read with django-ipware, exactly that many entries, else REMOTE_ADDR again).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1  # entries after the client's: the proxies before the last
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "logged_out"  # the "You have signed out" page

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))  # collectstatic writes here
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"

# Security headers. With DEBUG off, `manage.py check --deploy` must report nothing.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "careleavers.api_schema.AutoSchema",
    # API (docs/decisions/0051): paginated lists, django-filter, throttled per user (one token per user).
    "DEFAULT_PAGINATION_CLASS": "careleavers.api_common.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "careleavers.api_common.FilterBackend",  # django-filter's, skipped when no filter is asked for
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["careleavers.api_common.PerUserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="5000/hour"),
        "stats": env.str("API_RATE_STATS", default="2000/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Care leaver employment schemes API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"OutcomeCodeEnum": "placements.choices.OutcomeCode"},
}

IMPORT_EXPORT_USE_TRANSACTIONS = True
# A hires spreadsheet checked in the admin waits this long for its user to confirm it, then is deleted
# (placements/uploads.py; also swept by the beat task below).
IMPORT_CONFIRM_SECONDS = env.int("IMPORT_CONFIRM_SECONDS", default=30 * 60)
# Spreadsheet imports (both imports, command line and admin): a file over any of these is refused before any
# sheet is parsed (schemes/spreadsheet_files.py, docs/decisions/0016). The defaults fit a national register of
# 100,000 hires and keep an import's memory well under 500 MB.
IMPORT_MAX_FILE_MB = env.int("IMPORT_MAX_FILE_MB", default=20)
IMPORT_MAX_INFLATED_MB = env.int("IMPORT_MAX_INFLATED_MB", default=150)  # an .xlsx's parts, uncompressed
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=120_000)  # the last row number a sheet may use
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=3_500_000)  # rows x columns a sheet spans
# Plausible dates (placements/rules.py, docs/decisions/0017): a date outside its window is refused by every
# door (admin, API, imports) and listed by `manage.py check_data`.
RECORD_DATES_EARLIEST_YEAR = env.int("RECORD_DATES_EARLIEST_YEAR", default=2000)  # when a scheme names no first year
RECORD_DATES_DAYS_AHEAD = env.int("RECORD_DATES_DAYS_AHEAD", default=366)  # referral to outcome, after today
PLANNED_END_DAYS_AHEAD = env.int("PLANNED_END_DAYS_AHEAD", default=4 * 366)  # a planned end, after today
AGE_AT_OFFER_MIN = env.int("AGE_AT_OFFER_MIN", default=14)
AGE_AT_OFFER_MAX = env.int("AGE_AT_OFFER_MAX", default=30)

# The pipeline dashboard's keep-in-touch list: offers waiting more than KEEP_IN_TOUCH_WAITED_DAYS since the offer
# with no contact recorded in the last KEEP_IN_TOUCH_SILENT_DAYS (docs/decisions/0085).
KEEP_IN_TOUCH_WAITED_DAYS = env.int("KEEP_IN_TOUCH_WAITED_DAYS", default=28)
KEEP_IN_TOUCH_SILENT_DAYS = env.int("KEEP_IN_TOUCH_SILENT_DAYS", default=21)

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Disclosure control defaults for published statistics (docs/domain.md): counts 1..threshold-1 are hidden.
DISCLOSURE_THRESHOLD = env.int("DISCLOSURE_THRESHOLD", default=5)
DISCLOSURE_ROUNDING_BASE = env.int("DISCLOSURE_ROUNDING_BASE", default=0)
DISCLOSURE_SYMBOL = env.str("DISCLOSURE_SYMBOL", default="[c]")
# The first year anything is counted or published in (calendar year, or the financial year starting in it):
# a start date before it is taken to be a mistake in the record (decision 0065).
PUBLISHED_FIRST_YEAR = env.int("PUBLISHED_FIRST_YEAR", default=2000)
# Published families and statistics answers are cached until records change (reporting/caching.py); this
# bounds their age.
STATS_CACHE_SECONDS = env.int("STATS_CACHE_SECONDS", default=60 * 60)
STATS_COMPUTE_WAIT_SECONDS = env.int("STATS_COMPUTE_WAIT_SECONDS", default=30)
# After records change, a Celery task works out the dashboards' figures again this many seconds later, so the next
# viewer finds them kept (reporting/warming.py, docs/decisions/0087); the changes made meanwhile wait for the same
# task. DASHBOARD_WARMING=false leaves every figure to the first viewer (the tests do, but for warming's own).
DASHBOARD_WARMING = env.bool("DASHBOARD_WARMING", default=True)
DASHBOARD_WARMING_DELAY_SECONDS = env.int("DASHBOARD_WARMING_DELAY_SECONDS", default=30)

FOI_CONTACT_EMAIL = env.str("FOI_CONTACT_EMAIL", default="foi@example.gov.uk")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
