"""Kehu settings: one module, configured by environment variables (see README)."""

import importlib.util
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kehu.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KEHU_VAR_DIR", str(BASE_DIR / "var")))

DEV_SECRET_KEY = "kehu-dev-insecure-secret-key-do-not-use-in-production"
DEBUG = env_bool("KEHU_DEBUG", True)
SECRET_KEY = env_str("KEHU_SECRET_KEY", DEV_SECRET_KEY)
PRODUCTION = env_bool("KEHU_PRODUCTION", False)
if PRODUCTION and (DEBUG or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "KEHU_PRODUCTION=1 needs KEHU_DEBUG=0 and a KEHU_SECRET_KEY of at least 32 characters "
        "that is not the development default."
    )

ALLOWED_HOSTS = env_list("KEHU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("KEHU_CSRF_TRUSTED_ORIGINS", [])

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
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.sales",
    "kehu.field",
    "kehu.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kehu.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kehu.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while a writer commits; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Amounts group by thousands in Chinese too (templates ask for it with floatformat:"2g").
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kehu" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

MEDIA_ROOT = Path(env_str("KEHU_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served: uploaded import files are read by the server only

# Background tasks (customer imports): rows in the database, run by `manage.py db_worker` (`make run` starts it).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The cache is shared by every process (web, task worker): throttle counters and import progress,
# which a worker inside its write transaction cannot put in the database where others would see it.
_REDIS_URL = env_str("KEHU_REDIS_URL", "") or env_str("REDIS_URL", "")
if _REDIS_URL and importlib.util.find_spec("redis") is None:
    raise ImproperlyConfigured("KEHU_REDIS_URL/REDIS_URL is set but the redis package is not installed.")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL}
        if _REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env_str("KEHU_CACHE_DIR", str(VAR_DIR / "cache")),
        }
    )
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("KEHU_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kehu.core.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kehu.core.api.errors.exception_handler",
    # Password guessing through the token endpoint: a few tries a minute per client address.
    "DEFAULT_THROTTLE_RATES": {"login": env_str("KEHU_LOGIN_RATE", "20/min")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kehu API",
    "DESCRIPTION": "Customer cards, confidentiality and history for channel sales.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's JS/CSS are served from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a `status` with different choices; name the import job's so neither is guessed.
    "ENUM_NAME_OVERRIDES": {
        "ImportStatusEnum": "kehu.customers.models.imports.ImportJob.Status",
        "CustomerStatusEnum": "kehu.customers.models.customer.CustomerStatus",
        "CustomerKindEnum": "kehu.customers.models.customer.CustomerKind",
        "OrderStatusEnum": "kehu.sales.models.orders.OrderStatus",
        "PlanStatusEnum": "kehu.sales.models.plans.PlanStatus",
        "SupportKindEnum": "kehu.sales.models.plans.SupportKind",
        "HoldStatusEnum": "kehu.sales.models.credit.HoldStatus",
        "SuggestionStatusEnum": "kehu.sales.models.credit.SuggestionStatus",
        "CollectionStatusEnum": "kehu.sales.models.receivables.CollectionStatus",
        "PaymentKindEnum": "kehu.sales.models.receivables.PaymentKind",
        "VisitStatusEnum": "kehu.field.models.visits.VisitStatus",
        "VisitPlanStatusEnum": "kehu.field.models.visits.PlanState",
        "TerritorySuggestionStatusEnum": "kehu.field.models.territory.SuggestionState",
        "HandoverStatusEnum": "kehu.field.models.handover.HandoverState",
        "HandoverKindEnum": "kehu.field.models.handover.HandoverKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("KEHU_LOG_LEVEL", "WARNING")},
}

# The covering index of region reports (customers migration 0009) keeps its INCLUDE column on
# PostgreSQL only; on SQLite the index simply has the key columns, which is what we want.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Kehu business settings -------------------------------------------------------------
# A user who opens more than this many distinct cards within an hour is flagged to custodians.
KEHU_BULK_VIEW_THRESHOLD = env_int("KEHU_BULK_VIEW_THRESHOLD", 60)
# A card neither edited nor visited for this many days is stale.
KEHU_STALE_DAYS = env_int("KEHU_STALE_DAYS", 90)
# Behind a reverse proxy that sets X-Forwarded-For, audit rows take the client address from it.
KEHU_BEHIND_PROXY = env_bool("KEHU_BEHIND_PROXY", False)
# Longest loan (借阅) a user may ask for, in days.
KEHU_GRANT_MAX_DAYS = env_int("KEHU_GRANT_MAX_DAYS", 90)

# Customer import: files with more data rows are refused; files with more rows than the inline
# limit are checked and written by the task worker, with a progress bar.
KEHU_IMPORT_MAX_ROWS = env_int("KEHU_IMPORT_MAX_ROWS", 1_000_000)
KEHU_IMPORT_INLINE_ROWS = env_int("KEHU_IMPORT_INLINE_ROWS", 2000)
KEHU_IMPORT_BATCH_ROWS = env_int("KEHU_IMPORT_BATCH_ROWS", 2000)
# Processes that compute pinyin and geocodes for large imports (0: as many as CPUs, 1: none).
KEHU_IMPORT_WORKERS = env_int("KEHU_IMPORT_WORKERS", 0)
# A background check or write that has not reported progress for this long lost its worker: failed.
KEHU_IMPORT_STALE_SECONDS = env_int("KEHU_IMPORT_STALE_SECONDS", 300)

# Sales: planned collections are announced to the responsible rep this many days before the day.
KEHU_COLLECTION_REMIND_DAYS = env_int("KEHU_COLLECTION_REMIND_DAYS", 3)

# Field work. Days between visits by tier (a card's own "visit every" overrides it), e.g. "A=7,B=14,C=30,D=90".
KEHU_VISIT_DAYS_BY_TIER = {
    tier: int(days)
    for tier, _sep, days in (part.partition("=") for part in env_list("KEHU_VISIT_DAYS_BY_TIER", ["A=7", "B=14", "C=30", "D=90"]))
}
# A check-in farther than this from the card's position is flagged.
KEHU_CHECKIN_FAR_METRES = env_int("KEHU_CHECKIN_FAR_METRES", 300)
# Without a road router, travel time is the straight-line distance × this factor at this speed.
KEHU_ROAD_FACTOR = float(env_str("KEHU_ROAD_FACTOR", "1.3"))
KEHU_TRAVEL_SPEED_KMH = float(env_str("KEHU_TRAVEL_SPEED_KMH", "30"))
# An OSRM server (e.g. http://osrm.intranet:5000); its table service then gives road travel times.
ROUTING_OSRM_URL = env_str("ROUTING_OSRM_URL", "")
# Seconds the solver may take for a day route and for a weekly plan.
KEHU_ROUTE_TIME_LIMIT = float(env_str("KEHU_ROUTE_TIME_LIMIT", "1"))
KEHU_WEEK_PLAN_TIME_LIMIT = float(env_str("KEHU_WEEK_PLAN_TIME_LIMIT", "3"))
# Map tiles: "osm" (default), "amap" (高德, GCJ-02) or "tianditu" (天地图, needs KEHU_TIANDITU_KEY).
KEHU_MAP_TILES = env_str("KEHU_MAP_TILES", "osm")
KEHU_MAP_TILE_URL = env_str("KEHU_MAP_TILE_URL", "")  # overrides the preset's URL (an intranet tile server)
KEHU_TIANDITU_KEY = env_str("KEHU_TIANDITU_KEY", "")

# Mail (collection reminders). Without KEHU_EMAIL_HOST, mail is written to the server's console.
EMAIL_HOST = env_str("KEHU_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("KEHU_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("KEHU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("KEHU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KEHU_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = env_str("KEHU_EMAIL_FROM", "kehu@localhost")

# CI creates a UTF-8 database with the right locale itself and runs the tests inside it.
if env_str("KEHU_TEST_DB_NAME", ""):
    DATABASES["default"]["TEST"] = {"NAME": env_str("KEHU_TEST_DB_NAME", "")}
